package scheduler

import (
	"testing"
	"time"

	"github.com/arsenal-run/arsenal-run/pkg/auth"
	"github.com/arsenal-run/arsenal-run/pkg/runs"
)

// TestRunLinesFollowRunStarted: the run's goroutine may want the
// scheduler's lock to log "run started" while a tick or a reload holds
// it: the job's Logged, which holds the run and a watcher's lines back,
// closes only once that line is written, so that the run's lines follow
// it. The run, held back, does not end meanwhile.
func TestRunLinesFollowRunStarted(t *testing.T) {
	rh := newRunHarness(t, t10.Add(-time.Second), []string{auth.RoleOperator})
	early := make(chan struct{}, 1)    // Logged closed while the lock was held
	startedFirst := make(chan bool, 1) // "run started" was logged once Logged closed
	rh.launcher.Watch = func(job Job, h *runs.Handle) <-chan struct{} {
		go func() {
			<-job.Logged
			startedFirst <- len(rh.logs.lines("run started")) == 1
		}()
		// What a tick or a reload does: hold the lock a while.
		rh.s.mu.Lock()
		go func() {
			defer rh.s.mu.Unlock()
			select {
			case <-h.Done():
				early <- struct{}{} // it ran to its end before its start was logged
			case <-job.Logged:
				early <- struct{}{}
			case <-time.After(100 * time.Millisecond): // time enough for the run to end, were it not held back
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
