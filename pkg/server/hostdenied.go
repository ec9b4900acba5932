package server

import (
	"net/http"

	"github.com/arsenal-run/arsenal-run/pkg/auth"
)

// What an endpoint of the host finds before it runs its operation (a user
// name the host knows, a supervisor group, whether there is an inventory)
// is for a caller who may run that operation: a caller whose roles deny it
// gets the refusal the operation gives, whatever is there, so that a 403
// beside a 404 tells them nothing of the host.

// deniedOutright is the decision of the caller's roles on op at its
// declared risk, when it refuses op whatever its params; nil when the
// roles allow op (its params are judged when it runs) or op is unknown.
func (s *Server) deniedOutright(c *Principal, op string) *auth.Decision {
	e, err := s.mgr.Service().Registry().Get(op)
	if err != nil {
		return nil
	}
	subject, err := s.current().Policy.Subject(c.Roles, nil)
	if err != nil || subject == nil {
		return nil
	}
	if d := subject.Decide(op, e.Spec.Risk); !d.Allowed {
		return &d
	}
	return nil
}

// refusedOutright is the 403 of an operation the caller's roles deny, as
// running it answers it, for an endpoint that has nothing to run it on
// (no supervisor group, no inventory): nothing of the host is asked.
func refusedOutright(op string, d *auth.Decision) *apiError {
	e := errorf(http.StatusForbidden, ClassAuthorization, "%s%s", d.Rule, policyAdvice(op))
	e.Rule = d.Rule
	return e
}
