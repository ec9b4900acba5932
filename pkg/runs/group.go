package runs

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/arsenal-run/arsenal-run/pkg/ops"
	"github.com/arsenal-run/arsenal-run/pkg/report"
	"github.com/arsenal-run/arsenal-run/pkg/steps"
	"github.com/arsenal-run/arsenal-run/pkg/store"
)

// groupPoll is how often a run waiting for its concurrency group looks
// again, and how often a run holding one looks for a request to stop.
var groupPoll = 250 * time.Millisecond

// groupBackend keeps concurrency groups where every process that may run
// the same playbooks sees them: the state dir's history database, or,
// without a state dir, lock files under the temporary directory.
type groupBackend interface {
	// enqueue puts run in line for group; who says who started it
	// (groupWho), for the store's other processes to judge.
	enqueue(group, run, who string) (groupTicket, error)
}

// groupTicket is one run's place in a group's line.
type groupTicket interface {
	// try takes the group when it is free and this run is first in line;
	// otherwise it returns the runs ahead, the holder first.
	try() (acquired bool, ahead []string, err error)
	// requestCancel asks runs, others of the group holding or waiting,
	// to stop; a run of the group not named is left alone.
	requestCancel(runs []string) error
	// cancelledBy returns the run that asked this one to stop, or "".
	cancelledBy() (string, error)
	// release leaves the line, or gives the group up. Like every write
	// of a ticket, it changes only the place its own enqueue made: a
	// place that another process took over for the same run is not
	// this ticket's.
	release()
}

// storeGroups keeps groups in the store.
type storeGroups struct{ store store.Groups }

func (g storeGroups) enqueue(group, run, who string) (groupTicket, error) {
	if err := g.store.GroupEnqueue(context.Background(), group, run, who); err != nil {
		return nil, err
	}
	return &storeTicket{g.store, group, run}, nil
}

type storeTicket struct {
	store      store.Groups
	group, run string
}

func (t *storeTicket) try() (bool, []string, error) {
	return t.store.GroupTry(context.Background(), t.group, t.run)
}

func (t *storeTicket) requestCancel(runs []string) error {
	return t.store.GroupRequestCancel(context.Background(), t.group, t.run, runs)
}

func (t *storeTicket) cancelledBy() (string, error) {
	return t.store.GroupCancelledBy(context.Background(), t.group, t.run)
}

func (t *storeTicket) release() {
	t.store.GroupRelease(context.Background(), t.group, t.run)
}

// groupHold is a run's hold on its group while it runs. It watches for a
// request to stop (policy cancel_running of a later run) and cancels the
// run when one comes. Its goroutine ends on release.
type groupHold struct {
	t    groupTicket
	stop chan struct{}
	wg   sync.WaitGroup
}

func (g *groupHold) watch(group string, cancel func(error)) {
	g.wg.Add(1)
	go func() {
		defer g.wg.Done()
		tick := time.NewTicker(groupPoll)
		defer tick.Stop()
		for {
			select {
			case <-g.stop:
				return
			case <-tick.C:
			}
			if by, err := g.t.cancelledBy(); err == nil && by != "" {
				cancel(ops.WithClass(ops.ClassCancelled, fmt.Errorf("cancelled by run %s of concurrency group %q (policy cancel_running)", by, group)))
				return
			}
		}
	}()
}

// release stops the watch and gives the group up.
func (g *groupHold) release() {
	close(g.stop)
	g.wg.Wait()
	g.t.release()
}

// acquireGroup waits for the run's concurrency group as the playbook's
// policy says: queue waits its turn (first come, first served); skip does
// not start when the group is busy; cancel_running asks the runs holding
// or waiting for the group to stop, then waits for them to end. It
// returns the hold, or else the report of a run that never started
// (skipped, cancelled while waiting, replaced by a later run, or refused
// because the group could not be recorded), or neither when the service
// shut down while it waited and the caller puts it back (Request.Requeue).
//
// claim, when not nil, makes the run's claim (a Claim of
// Manager.StartClaimed, with the run's start): a run that never started
// is recorded only once it succeeds. The run's place may have gone to
// another process that took the run over while this one was cut off from
// the store, and this one's wait then fails; the claim fails too, and
// acquireGroup returns an error wrapping ErrNotClaimed, with nothing
// recorded.
//
// mayCancel says why the run's caller may not stop a run of the group
// ("" when it may): cancel_running stops only runs its caller could
// cancel through the API, and a run that would have to stop another one
// is refused instead.
//
// waits is called before the run first waits for the group.
func (s *Service) acquireGroup(h *Handle, p *prepared, closed <-chan struct{}, claim func() error, mayCancel func(run string) string, waits func()) (*groupHold, *report.Report, error) {
	group, policy := p.group, p.plan.ConcurrencyPolicy()
	neverRan := func(class ops.Class, why, reason string) (*groupHold, *report.Report, error) {
		if claim != nil {
			if err := claim(); err != nil {
				return nil, nil, fmt.Errorf("%w: %w", ErrNotClaimed, err)
			}
		}
		if class == ops.ClassAuthorization {
			s.auditRefusedStart(p, why) // cancel_running refused: no step's line tells it
		}
		return nil, s.neverRanAs(p, h, class, why, reason), nil
	}
	unrecorded := fmt.Sprintf("not run: concurrency group %q could not be recorded", group)
	t, err := s.groups.enqueue(group, p.runID, groupWho(p, h.Caller()))
	if err != nil {
		return neverRan(ops.ClassSystem, fmt.Sprintf("concurrency group %q: %v", group, err), unrecorded)
	}
	notice := p.req.Notice
	if notice == nil {
		notice = func(string, ...any) {}
	}
	asked, told := false, false
	tick := time.NewTicker(groupPoll)
	defer tick.Stop()
	for {
		ok, ahead, err := t.try()
		if err != nil {
			t.release()
			return neverRan(ops.ClassSystem, fmt.Sprintf("concurrency group %q: %v", group, err), unrecorded)
		}
		// A request to stop that came while the run waited wins over
		// the group it may just have got.
		if by, err := t.cancelledBy(); err == nil && by != "" {
			t.release()
			return neverRan(ops.ClassCancelled, fmt.Sprintf("replaced by run %s of concurrency group %q before it started (policy cancel_running)", by, group),
				fmt.Sprintf("not run: replaced by run %s of concurrency group %q (policy cancel_running)", by, group))
		}
		if ok {
			// A Cancel that came while the run waited wins over the
			// group it got at the same moment: the run was queued when
			// it was cancelled, and a queued run never starts. The
			// manager checks again, atomically with the run's start
			// (Handle.start), for a Cancel that comes after this.
			select {
			case <-h.cancelled:
				t.release()
				return neverRan(ops.ClassCancelled, NotStarted(context.Cause(h.cancelCtx()).Error()),
					fmt.Sprintf("not run: cancelled while waiting for concurrency group %q", group))
			default:
			}
			hold := &groupHold{t: t, stop: make(chan struct{})}
			hold.watch(group, h.Cancel)
			return hold, nil, nil
		}
		switch policy {
		case steps.ConcurrencySkip:
			t.release()
			return neverRan(ops.ClassCancelled, fmt.Sprintf("skipped: concurrency group %q is busy with run %s (policy skip)", group, ahead[0]),
				fmt.Sprintf("not run: concurrency group %q is busy with run %s (policy skip)", group, ahead[0]))
		case steps.ConcurrencyCancelRunning:
			if !asked {
				for _, run := range ahead {
					if why := mayCancel(run); why != "" {
						t.release()
						msg := fmt.Sprintf("concurrency group %q is held by run %s, which this run's caller may not cancel: %s (policy cancel_running)", group, run, why)
						return neverRan(ops.ClassAuthorization, msg, "not run: "+msg)
					}
				}
				if err := t.requestCancel(ahead); err != nil {
					t.release()
					return neverRan(ops.ClassSystem, fmt.Sprintf("concurrency group %q: %v", group, err), unrecorded)
				}
				asked = true
				notice("concurrency group %q: asked run %s to stop (policy cancel_running)", group, strings.Join(ahead, ", "))
			}
		}
		if !told {
			told = true
			notice("waiting for concurrency group %q: run %s holds it", group, ahead[0])
			waits()
		}
		select {
		case <-tick.C:
		case <-h.cancelled:
			t.release()
			return neverRan(ops.ClassCancelled, NotStarted(context.Cause(h.cancelCtx()).Error()),
				fmt.Sprintf("not run: cancelled while waiting for concurrency group %q", group))
		case <-closed:
			t.release()
			if p.req.Requeue {
				return nil, nil, nil
			}
			return neverRan(ops.ClassCancelled, "the service shut down before the run started",
				fmt.Sprintf("not run: the service shut down while the run waited for concurrency group %q", group))
		}
	}
}
