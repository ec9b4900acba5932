package server

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/arsenal-run/arsenal-run/pkg/auth"
	"github.com/arsenal-run/arsenal-run/pkg/queue"
	"github.com/arsenal-run/arsenal-run/pkg/runs"
)

// recheck is the runs.Request.Recheck of a run c starts through the API.
// A run may wait for a run slot or its concurrency group across a
// SIGHUP: as it starts, c must still be a caller of the keys file then in
// force, with the same key and roles, and the run is judged by the policy
// then in force, as a request c sent at that moment would be.
func (s *Server) recheck(c *Principal) func() (*auth.Policy, error) {
	return func() (*auth.Policy, error) {
		st := s.current()
		if why := s.callerGone(c, st.Keys); why != "" {
			return nil, errors.New(why)
		}
		return st.Policy, nil
	}
}

// callerGone says why c, who started a run, is no longer the caller it
// was in keys: its key removed, expired or replaced, its certificate
// subject removed, or its roles changed; "" when it still is. A caller
// known by name alone (no Via: a run queued by a replica that did not
// keep how its caller signed in) is its key of that name, else the
// certificate subject, and a replaced key is not told from the first.
func (s *Server) callerGone(c *Principal, keys *Keys) string {
	if c.Via == "certificate" || c.Via == "" && keys.named(c.Name) == nil && keys.bySubject(c.Name) != nil {
		rule := keys.bySubject(c.Name)
		switch {
		case rule == nil:
			return fmt.Sprintf("the certificate subject %s was removed from the keys file since the run was queued", c.Name)
		case !sameRoles(rule.roles, c.Roles):
			return rolesChanged("certificate subject "+c.Name, c.Roles, rule.roles)
		}
		return ""
	}
	k := keys.named(c.Name)
	switch {
	case k == nil:
		return fmt.Sprintf("the key %s was removed from the keys file since the run was queued", c.Name)
	case !k.expires.IsZero() && !s.cfg.Now().Before(k.expires):
		return fmt.Sprintf("the key %s expired at %s, while the run was queued", c.Name, k.expires.UTC().Format(time.RFC3339))
	case c.print != "" && k.print != c.print:
		return fmt.Sprintf("the key %s was replaced in the keys file since the run was queued", c.Name)
	case !sameRoles(k.roles, c.Roles):
		return rolesChanged("key "+c.Name, c.Roles, k.roles)
	}
	return ""
}

// rolesChanged says that who's roles are no longer those a run was
// started with: the run is not carried over to the new ones, wider or
// narrower; its caller starts it again.
func rolesChanged(who string, was, now []string) string {
	return fmt.Sprintf("the roles of the %s changed since the run was queued (%s, now %s); start the run again", who, strings.Join(was, ", "), strings.Join(now, ", "))
}

// queuedCallerGone is callerGone for a run of the shared queue, which a
// replica (this one or another) queued for an API caller; a scheduled run
// has no caller of the keys file.
func (s *Server) queuedCallerGone(a queue.RunArgs) string {
	if a.Trigger != runs.TriggerAPI {
		return ""
	}
	return s.callerGone(&Principal{Name: a.Caller, Roles: a.Roles, Via: a.Via, print: a.KeyPrint}, s.current().Keys)
}
