package scheduler

import (
	"bytes"
	"context"
	"fmt"
	"runtime/pprof"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/arsenal-run/arsenal-run/pkg/history"
	"github.com/arsenal-run/arsenal-run/pkg/report"
	"github.com/arsenal-run/arsenal-run/pkg/runs"
	"github.com/arsenal-run/arsenal-run/pkg/steps"
)

// TestWatchedRunCostsOneGoroutine: a watched run (as `schedule` watches
// each) costs the scheduler one goroutine while it waits for a place,
// not two: a thousand slots a second queued behind ten places would
// otherwise keep a goroutine more each. A run that ends without starting
// (withdrawn at stop) still has its Logged closed, so that its watcher,
// which waits for Logged, follows it to the end and the stop completes.
func TestWatchedRunCostsOneGoroutine(t *testing.T) {
	const n = 5
	rh := newRunHarnessMax(t, t10.Add(-time.Second), nil, 1)
	followedAll := make(chan struct{}, n)
	rh.launcher.Watch = func(job Job, h *runs.Handle) <-chan struct{} {
		followed := make(chan struct{})
		go func() {
			defer close(followed)
			<-job.Logged
			<-h.Done()
			followedAll <- struct{}{}
		}()
		return followed
	}
	pbs := make([]*steps.Playbook, n)
	for i := range pbs {
		pbs[i] = rh.playbook(string(rune('a'+i)), "@every 1m", sleepSteps)
	}
	rh.load(pbs...)
	// The goroutines started by the tick carry its label, those of
	// other tests' schedulers do not.
	label := pprof.Labels("test", t.Name())
	pprof.Do(context.Background(), label, func(context.Context) {
		rh.run(time.Second) // 10:00 fires all five: one runs, four wait
	})
	waitFor(t, "one run going and four waiting", func() bool {
		hl := rh.s.Health()
		return hl.Running == 1 && hl.Waiting == n-1 && len(rh.logs.lines("run started")) == 1
	})
	switch got := schedulerGoroutines(t, t.Name()); {
	case got == 0:
		t.Fatal("no goroutine of the scheduler found in the goroutine profile")
	case got > n:
		t.Errorf("%d goroutines of the scheduler for %d runs (one going, %d waiting), want at most one a run", got, n, n-1)
	}
	// The stop withdraws the waiting runs, then cancels the going one
	// once its grace period is over.
	stopped := make(chan error, 1)
	go func() { stopped <- rh.s.shutdown() }()
	waitFor(t, "the grace timer", func() bool { return len(rh.clock.Timers()) == 1 })
	rh.clock.Advance(rh.clock.Timers()[0])
	select {
	case err := <-stopped:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("the stop did not complete: a run withdrawn before it started kept its watcher waiting")
	}
	if len(followedAll) != n {
		t.Errorf("%d runs followed to their end, want %d", len(followedAll), n)
	}
	byStatus := map[report.Status]int{}
	for _, r := range rh.rows() {
		byStatus[r.Status]++
	}
	if byStatus[report.StatusCancelled] != 1 || byStatus[history.StatusMissed] != n-1 {
		t.Errorf("history: %v; want 1 cancelled, %d missed", byStatus, n-1)
	}
}

// schedulerGoroutines counts the goroutines labelled test=name running
// the scheduler's own code (not its tests').
func schedulerGoroutines(t *testing.T, name string) int {
	t.Helper()
	var buf bytes.Buffer
	if err := pprof.Lookup("goroutine").WriteTo(&buf, 1); err != nil {
		t.Fatal(err)
	}
	want := fmt.Sprintf("# labels: {%q:%q}", "test", name)
	n := 0
	// Goroutines of one stack and labels are grouped: "count @ pcs", the
	// labels, then a line a frame.
	for _, g := range strings.Split(buf.String(), "\n\n") {
		lines := strings.Split(g, "\n")
		if len(lines) < 2 || lines[1] != want {
			continue
		}
		for _, line := range lines[2:] {
			f := strings.Fields(line)
			file := f[len(f)-1]
			if strings.Contains(file, "/pkg/scheduler/") && !strings.Contains(file, "_test.go:") {
				count, _, _ := strings.Cut(lines[0], " ")
				c, err := strconv.Atoi(count)
				if err != nil {
					t.Fatalf("goroutine profile: %q", lines[0])
				}
				n += c
				break
			}
		}
	}
	return n
}
