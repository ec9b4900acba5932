package httpreq

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/arsenal-run/arsenal-run/pkg/ops"
	"github.com/arsenal-run/arsenal-run/pkg/ops/internal/opstest"
)

// TestRetryAfterIsKept: a 429 or 503 with Retry-After fails saying how
// long the server asked to wait, and the failure carries that wait for the
// step's retry. Before, the header was in the output only, and a retry
// with a short delay hammered a server that had said when to come back.
func TestRetryAfterIsKept(t *testing.T) {
	r := newRegistry(t)
	for _, tc := range []struct {
		status int
		header string
		want   time.Duration
		ok     bool
	}{
		{http.StatusTooManyRequests, "7", 7 * time.Second, true},
		{http.StatusServiceUnavailable, time.Now().Add(2 * time.Minute).UTC().Format(http.TimeFormat), 2 * time.Minute, true},
		{http.StatusServiceUnavailable, "soon", 0, false},
		{http.StatusInternalServerError, "", 0, false},
	} {
		s := server(t, func(w http.ResponseWriter, _ *http.Request) {
			if tc.header != "" {
				w.Header().Set("Retry-After", tc.header)
			}
			w.WriteHeader(tc.status)
		})
		_, err := opstest.Execute(r, context.Background(), "http.request", map[string]any{"url": s.URL})
		if err == nil || ops.ClassOf(err) != ops.ClassExecution {
			t.Fatalf("status %d: error %v, want an execution failure", tc.status, err)
		}
		got, ok := ops.RetryAfter(err)
		if ok != tc.ok || got < tc.want-2*time.Second || got > tc.want {
			t.Errorf("status %d, Retry-After %q: asked wait %s %v, want %s %v", tc.status, tc.header, got, ok, tc.want, tc.ok)
		}
		if said := strings.Contains(err.Error(), "before a retry (Retry-After)"); said != tc.ok {
			t.Errorf("status %d, Retry-After %q: error %q", tc.status, tc.header, err)
		}
	}
}
