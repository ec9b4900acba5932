package proc

import (
	"context"
	"regexp"
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
// none. A restart names the new pid as well as the one that ended:
// before, the run heard only of the old one, and had to list the group
// to find the process it now had to watch or signal.
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
		return len(said) > 0 && strings.Contains(said[len(said)-1], "keeps failing")
	})
	mu.Lock()
	defer mu.Unlock()
	want := []*regexp.Regexp{
		regexp.MustCompile(`^warn: supervisor flaky: pid (\d+) exited with code 3; restarting it in 1ms \(restart 1\)$`),
		regexp.MustCompile(`^warn: supervisor flaky: pid (\d+) restarted as pid (\d+) \(restart 1\)$`),
		regexp.MustCompile(`^warn: supervisor flaky: pid (\d+) exited with code 3; restarting it in \S+ \(restart 2\)$`),
		regexp.MustCompile(`^warn: supervisor flaky: pid (\d+) restarted as pid (\d+) \(restart 2\)$`),
		regexp.MustCompile(`^error: supervisor flaky: pid (\d+) keeps failing: restarted 2 times within 1m`),
	}
	if len(said) != len(want) {
		t.Fatalf("the run was told %d messages, want %d:\n%s", len(said), len(want), strings.Join(said, "\n"))
	}
	// Each restart names the pid that ended and the one that runs now,
	// which is the pid the next message speaks of.
	var pids [][]string
	for i, re := range want {
		m := re.FindStringSubmatch(said[i])
		if m == nil {
			t.Fatalf("message %d is %q, want it to match %s", i, said[i], re)
		}
		pids = append(pids, m[1:])
	}
	for _, i := range []int{1, 3} {
		if pids[i][0] != pids[i-1][0] || pids[i][1] == pids[i][0] || pids[i+1][0] != pids[i][1] {
			t.Errorf("restart %d: %q after %q, then %q: want the ended pid, then a new one, which the next message names", i/2+1, said[i], said[i-1], said[i+1])
		}
	}
}
