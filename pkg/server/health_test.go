package server

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
)

// A degraded /healthz tells a caller without a key its status and the
// class of each problem, never the store's text (files, the database, its
// role); a valid key of any role gets the details, and a wrong key the
// answer of no key, counted as a failed authentication.
func TestHealthzWithholdsDetailsWithoutAKey(t *testing.T) {
	const secret = `/var/lib/arsenal-run/history.db: database is locked; postgres: the role "arsenal_rw" may not INSERT on runs`
	ts := newTestServer(t, func(c *Config) {
		c.Health = func(context.Context) (map[string]any, error) {
			return map[string]any{"store": "postgres://arsenal_rw@db-7.internal/arsenal", "store_ok": false,
					"leader": true, "history_unrecorded": 3, "scheduler": "degraded",
					"scheduler_reload_error": map[string]any{"message": "/etc/arsenal/playbooks/x.yaml:3:1: bad"}},
				errors.Join(&HealthError{Reason: "store", Err: errors.New(secret)},
					fmt.Errorf("wrapped: %w", &HealthError{Reason: "history", Err: errors.New(secret)}),
					errors.New("unclassed"))
		}
	})
	for _, who := range []request{
		{method: "GET", path: "/healthz"},
		{method: "GET", path: "/healthz", rawKey: "ak_" + strings.Repeat("a", 39)},
	} {
		r := ts.do(who).want(t, 503)
		h := r.json(t)
		if h["status"] != "degraded" || h["store_ok"] != false || h["leader"] != true || h["scheduler"] != "degraded" || h["history_unrecorded"] != 3.0 {
			t.Errorf("public healthz lost a state: %v", h)
		}
		if reasons, _ := h["reasons"].([]any); !slices.Equal(reasons, []any{"store", "history", "other"}) {
			t.Errorf("reasons %v", h["reasons"])
		}
		for _, leak := range []string{"history.db", "arsenal_rw", "db-7", "playbooks/x.yaml"} {
			if strings.Contains(string(r.body), leak) {
				t.Errorf("/healthz without a valid key tells %q: %s", leak, r.body)
			}
		}
		if msg, _ := h["error"].(string); !strings.Contains(msg, "store, history, other") || !strings.Contains(msg, "log") {
			t.Errorf("public error %q", msg)
		}
	}
	m := ts.get("viewer", "/metrics").want(t, 200)
	if !strings.Contains(string(m.body), `arsenal_auth_failures_total{reason="unknown"} 1`) {
		t.Errorf("a wrong key on /healthz is not counted:\n%s", grepLines(string(m.body), "arsenal_auth_failures_total"))
	}
	h := ts.get("viewer", "/healthz").want(t, 503).json(t)
	if msg, _ := h["error"].(string); !strings.Contains(msg, "history.db") || h["store"] == nil || h["scheduler_reload_error"] == nil {
		t.Errorf("/healthz with a key lacks the details: %v", h)
	}
}
