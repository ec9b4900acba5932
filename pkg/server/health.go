package server

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"
)

// HealthError is an error of Config.Health with the short class of its
// problem ("store", "history") that /healthz gives any caller in
// reasons. The error's text, which may name files, the database and its
// role, goes only to callers with a valid key and to the log.
type HealthError struct {
	Reason string
	Err    error
}

func (e *HealthError) Error() string { return e.Err.Error() }
func (e *HealthError) Unwrap() error { return e.Err }

// publicHealth lists the fields of Config.Health that /healthz shows
// every caller: states and counts, none of which names a file, a host,
// a role or a process. The others (store, scheduler_holder,
// scheduler_store_error, scheduler_reload_error, …) need a key.
var publicHealth = map[string]bool{
	"store_ok": true, "leader": true, "leader_lock": true, "queue_depth": true, "queue_running": true,
	"history_unrecorded": true, "scheduler": true,
}

// withheld is the error of a degraded /healthz for a caller without a key.
const withheld = "degraded (%s); the details are in the server's log, and in this answer to a request with a key of any role"

// GET /healthz: no key needed. The answer's version and ops let
// cluster.topology recognise an arsenal-run server. A caller with a
// valid key (any role) gets the details too: what the store refused,
// which database, why the scheduler is degraded. Without one, or with
// one that fails, the answer has the same status code and status, and
// a degraded one says only its reasons: as Kubernetes' /readyz and
// Vault's sys/health, a public health check tells whether to send
// traffic, not the paths and roles behind it.
func (s *Server) healthz(w http.ResponseWriter, r *http.Request, _ *Principal) *apiError {
	if e := publicQuery(r); e != nil {
		return e
	}
	detail := s.healthCaller(r)
	status, code := "ok", http.StatusOK
	out := map[string]any{"version": s.cfg.Version, "ops": len(s.opsDoc)}
	if s.cfg.Health != nil {
		ctx, cancel := context.WithTimeout(r.Context(), 5*time.Second)
		extra, err := s.cfg.Health(ctx)
		cancel()
		for k, v := range extra {
			if detail || publicHealth[k] {
				out[k] = v
			}
		}
		s.health.note(s, err)
		if err != nil {
			status, code = "degraded", http.StatusServiceUnavailable
			reasons := healthReasons(err)
			out["reasons"] = reasons
			if detail {
				out["error"] = err.Error()
			} else {
				out["error"] = fmt.Sprintf(withheld, strings.Join(reasons, ", "))
			}
		}
	}
	if s.shuttingDown() {
		status, code = "stopping", http.StatusServiceUnavailable
	}
	out["status"] = status
	writeJSON(w, code, out)
	return nil
}

// healthCaller says whether the request to /healthz has valid
// credentials. One without any is not judged; one whose credentials
// fail counts as a failed authentication, as on every route (else
// /healthz would tell valid keys from others for free), but is still
// answered, without the details: a health check that sends a stale key
// keeps working. An address over its failure budget gets no details and
// is not held back.
func (s *Server) healthCaller(r *http.Request) bool {
	if r.Header.Get("Authorization") == "" && sessionToken(r) == "" && verifiedCert(r) == nil {
		return false
	}
	if s.fails.blocked(clientAddr(r)) > 0 {
		return false
	}
	_, e := s.authenticate(r)
	return e == nil
}

// healthReasons are the classes of the problems in err, each once, in
// order; a problem with no class is "other".
func healthReasons(err error) []string {
	var out []string
	var walk func(error)
	walk = func(err error) {
		var he *HealthError
		switch u := err.(type) {
		case nil:
		case *HealthError:
			he = u
		case interface{ Unwrap() []error }:
			for _, e := range u.Unwrap() {
				walk(e)
			}
			return
		default:
			if !errors.As(err, &he) {
				he = &HealthError{Reason: "other"}
			}
		}
		if he != nil && !slices.Contains(out, he.Reason) {
			out = append(out, he.Reason)
		}
	}
	walk(err)
	return out
}

// healthLog logs what makes /healthz degraded when it changes, and when
// it is healthy again, so that what a caller without a key is not told
// is in the log.
type healthLog struct {
	mu   sync.Mutex
	last string
}

func (l *healthLog) note(s *Server, err error) {
	text := ""
	if err != nil {
		text = err.Error()
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if text == l.last {
		return
	}
	switch {
	case text != "":
		s.log.Printf("/healthz: degraded: %s", text)
	default:
		s.log.Printf("/healthz: healthy again")
	}
	l.last = text
}
