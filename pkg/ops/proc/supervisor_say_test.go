package proc

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/arsenal-run/arsenal-run/pkg/ops"
	"github.com/arsenal-run/arsenal-run/pkg/ops/internal/opstest"
)

// TestSupervisorTellsTheRunOfRestarts: process.start hands the run's
// message function to the supervisor, which tells the run of each
// automatic restart and of giving up, without its lock held (the message
// here asks the supervisor about the group, which would wait forever on
// it). Before, only the supervisor's logger heard of them, and run has
// none.
func TestSupervisorTellsTheRunOfRestarts(t *testing.T) {
	r, sup := newEnv(t, Options{Backoff: time.Millisecond, MaxBackoff: 5 * time.Millisecond, MaxRestarts: 2, Period: time.Minute})
	var mu sync.Mutex
	var said []string
	call := &ops.Call{Message: func(level, text string) {
		_, _ = sup.Children("flaky")
		mu.Lock()
		said = append(said, level+": "+text)
		mu.Unlock()
	}}
	ctx := ops.WithCall(context.Background(), call)
	if _, err := opstest.Execute(r, ctx, "process.start", map[string]any{
		"command": []any{"/bin/sh", "-c", "exit 3"}, "supervisor": "flaky", "restart": "on-failure"}); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the run hears the supervisor give up", func() bool {
		mu.Lock()
		defer mu.Unlock()
		return len(said) == 3
	})
	mu.Lock()
	defer mu.Unlock()
	for i, want := range []string{
		"warn: supervisor flaky: pid ", "exited with code 3; restarting it in 1ms (restart 1)",
		"warn: supervisor flaky: pid ", "(restart 2)",
		"error: supervisor flaky: pid ", "keeps failing: restarted 2 times within 1m",
	} {
		if got := said[i/2]; !strings.Contains(got, want) {
			t.Errorf("message %d is %q, want it to say %q", i/2, got, want)
		}
	}
}
