package scheduler

import (
	"testing"
	"time"

	"github.com/arsenal-run/arsenal-run/pkg/auth"
	"github.com/arsenal-run/arsenal-run/pkg/runs"
)

// TestRunLinesFollowRunStarted: a run may be going, and emitting, before
// the scheduler logs its "run started" (the scheduler's lock is held by a
// tick or a reload when the run's goroutine wants it): the job's Logged,
// which holds a watcher's lines back, closes only once that line is
// written, not when the run ends, so that the run's lines follow it.
func TestRunLinesFollowRunStarted(t *testing.T) {
	rh := newRunHarness(t, t10.Add(-time.Second), []string{auth.RoleOperator})
	early := make(chan struct{}, 1)    // Logged closed while the lock was held
	startedFirst := make(chan bool, 1) // "run started" was logged once Logged closed
	rh.launcher.Watch = func(job Job, h *runs.Handle) <-chan struct{} {
		go func() {
			<-job.Logged
			startedFirst <- len(rh.logs.lines("run started")) == 1
		}()
		// What a tick or a reload does: hold the lock while the run
		// goes on, here to its end.
		rh.s.mu.Lock()
		go func() {
			defer rh.s.mu.Unlock()
			<-h.Done()
			select {
			case <-job.Logged:
				early <- struct{}{}
			case <-time.After(100 * time.Millisecond): // time enough to close it, were it closed by the run's end
			}
		}()
		return nil
	}
	rh.load(rh.playbook("tick", "@every 1h", noopSteps))
	rh.run(time.Hour)
	rh.settle()
	select {
	case <-early:
		t.Error("Logged closed before the scheduler could log the run's start")
	default:
	}
	select {
	case ok := <-startedFirst:
		if !ok {
			t.Error(`Logged closed before "run started" was logged`)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Logged never closed")
	}
}
