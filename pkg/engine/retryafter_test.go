package engine

import (
	"errors"
	"testing"
	"time"

	"github.com/arsenal-run/arsenal-run/pkg/ops"
)

// TestWaitAfterKeepsTheServersAsk: a failure whose server asked for a wait
// (HTTP Retry-After) waits that long when it is longer than the backoff,
// up to max_delay, or five minutes without one. Before, the step's own
// delay alone counted, and a 1 s retry hit a server that had said "in 30 s"
// four more times.
func TestWaitAfterKeepsTheServersAsk(t *testing.T) {
	asked := func(d time.Duration) error {
		return &ops.RetryAfterError{After: d, Err: errors.New("status 429")}
	}
	for _, tc := range []struct {
		name string
		max  time.Duration
		err  error
		want time.Duration
	}{
		{"no ask", 0, errors.New("refused"), time.Second},
		{"a success", 0, nil, time.Second},
		{"longer ask", 0, asked(30 * time.Second), 30 * time.Second},
		{"shorter ask", 0, asked(100 * time.Millisecond), time.Second},
		{"ask over max_delay", 10 * time.Second, asked(30 * time.Second), 10 * time.Second},
		{"ask of an hour", 0, asked(time.Hour), 5 * time.Minute},
		{"wrapped ask", 0, ops.WithClass(ops.ClassExecution, asked(20*time.Second)), 20 * time.Second},
	} {
		if got := waitAfter(retrySettings(time.Second, tc.max, 1, 0), 1, tc.err); got != tc.want {
			t.Errorf("%s: wait %s, want %s", tc.name, got, tc.want)
		}
	}
}
