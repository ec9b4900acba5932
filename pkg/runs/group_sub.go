package runs

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/arsenal-run/arsenal-run/pkg/engine"
	"github.com/arsenal-run/arsenal-run/pkg/ops"
	"github.com/arsenal-run/arsenal-run/pkg/steps"
)

// subGroups gives the sub-runs of playbook.run of one run their
// playbooks' concurrency groups (engine.Groups), through the same backend
// as runs: a sub-run of migrate.yaml and a run of it exclude each other.
type subGroups struct {
	s *Service
	// notice is the request's Notice (what `run` prints), or nil; the
	// engine's own notice goes to the run's log and events.
	notice func(string, ...any)
}

// Acquire waits for the sub-run's group as its policy says, like
// acquireGroup for a run; what a run's report would say, the playbook.run
// step's error says. The wait ends with ctx: the run's cancellation, its
// timeout, or the service's shutdown.
func (g *subGroups) Acquire(ctx context.Context, sg engine.SubGroup) (context.Context, func(), error) {
	group := sg.Group
	notice := func(format string, args ...any) {
		if sg.Notice != nil {
			sg.Notice(format, args...)
		}
		if g.notice != nil {
			g.notice(format, args...)
		}
	}
	unrecorded := func(err error) error {
		return ops.Errorf(ops.ClassSystem, "concurrency group %q could not be recorded: %v", group, err)
	}
	t, err := g.s.groups.enqueue(group, sg.RunID)
	if err != nil {
		return nil, nil, unrecorded(err)
	}
	cancelled := func() error {
		t.release()
		cause := context.Cause(ctx)
		class := ops.ClassOf(cause)
		if class != ops.ClassTimeout {
			class = ops.ClassCancelled
		}
		return ops.WithClass(class, fmt.Errorf("not run: cancelled while waiting for concurrency group %q: %w", group, cause))
	}
	asked, told := false, false
	tick := time.NewTicker(groupPoll)
	defer tick.Stop()
	for {
		ok, ahead, err := t.try()
		if err != nil {
			t.release()
			return nil, nil, unrecorded(err)
		}
		if by, err := t.cancelledBy(); err == nil && by != "" {
			t.release()
			return nil, nil, ops.Errorf(ops.ClassCancelled, "replaced by run %s of concurrency group %q before it started (policy cancel_running)", by, group)
		}
		if ok {
			// As for a run: a cancellation that came while it waited wins
			// over the group it got at the same moment.
			if ctx.Err() != nil {
				return nil, nil, cancelled()
			}
			sctx, cancel := context.WithCancelCause(ctx)
			hold := &groupHold{t: t, stop: make(chan struct{})}
			hold.watch(group, cancel)
			return sctx, func() {
				hold.release()
				cancel(context.Canceled)
			}, nil
		}
		switch sg.Policy {
		case steps.ConcurrencySkip:
			t.release()
			return nil, nil, ops.Errorf(ops.ClassCancelled, "skipped: concurrency group %q is busy with run %s (policy skip)", group, ahead[0])
		case steps.ConcurrencyCancelRunning:
			if !asked {
				if err := t.requestCancel(); err != nil {
					t.release()
					return nil, nil, unrecorded(err)
				}
				asked = true
				notice("concurrency group %q: asked run %s to stop (policy cancel_running)", group, strings.Join(ahead, ", "))
			}
		}
		if !told {
			told = true
			notice("waiting for concurrency group %q: run %s holds it", group, ahead[0])
		}
		select {
		case <-tick.C:
		case <-ctx.Done():
			return nil, nil, cancelled()
		}
	}
}
