package queue

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/arsenal-run/arsenal-run/pkg/history"
	"github.com/arsenal-run/arsenal-run/pkg/report"
	"github.com/arsenal-run/arsenal-run/pkg/runs"
	"github.com/arsenal-run/arsenal-run/pkg/scheduler"
)

// waiter is someone here waiting for the end of a run that may execute
// on another replica.
type waiter struct {
	done   chan struct{}
	once   sync.Once
	status report.Status
}

func (w *waiter) end(st report.Status) {
	w.once.Do(func() {
		w.status = st
		close(w.done)
	})
}

// Await returns a channel closed when the run has ended on whichever
// replica ran it (its history row has a final status), and a function
// that returns that status once the channel is closed.
func (q *Queue) Await(runID string) (<-chan struct{}, func() report.Status) {
	q.mu.Lock()
	w := q.waiters[runID]
	if w == nil {
		w = &waiter{done: make(chan struct{})}
		q.waiters[runID] = w
	}
	q.mu.Unlock()
	return w.done, func() report.Status { return w.status }
}

// pollEnds reads the status of every awaited run in one query and wakes
// the waiters of those that ended.
func (q *Queue) pollEnds(ctx context.Context) {
	q.mu.Lock()
	ids := make([]string, 0, len(q.waiters))
	for id := range q.waiters {
		ids = append(ids, id)
	}
	q.mu.Unlock()
	if len(ids) == 0 {
		return
	}
	rows, err := q.cfg.Store.Pool().Query(ctx, `SELECT id, status FROM runs WHERE id = ANY($1) AND status NOT IN ('running')`, ids)
	if err != nil {
		return
	}
	ended := map[string]report.Status{}
	for rows.Next() {
		var id, st string
		if rows.Scan(&id, &st) == nil {
			ended[id] = report.Status(st)
		}
	}
	rows.Close()
	q.mu.Lock()
	for id, st := range ended {
		if w := q.waiters[id]; w != nil {
			w.end(st)
			delete(q.waiters, id)
		}
	}
	q.mu.Unlock()
}

// Launcher is the scheduler's Launcher over the queue: each slot becomes
// a job unique by (playbook, slot), which any replica may run. The
// scheduler (on the elected leader) keeps a Handle that follows the run
// through the store.
type Launcher struct {
	q     *Queue
	roles []string
}

var _ scheduler.Launcher = (*Launcher)(nil)

// NewLauncher returns a launcher that queues scheduled runs with roles.
func NewLauncher(q *Queue, roles []string) *Launcher {
	return &Launcher{q: q, roles: append([]string(nil), roles...)}
}

// Launch implements scheduler.Launcher.
func (l *Launcher) Launch(ctx context.Context, job scheduler.Job) (scheduler.Handle, error) {
	if job.Playbook == nil {
		return nil, errors.New("queue: a job without a playbook")
	}
	id, _, err := l.q.Submit(ctx, l.args(job.Playbook.Name, job.Slot))
	if err != nil {
		return nil, err
	}
	done, status := l.q.Await(id)
	h := &remoteHandle{q: l.q, id: id, ended: done, status: status, detached: make(chan struct{})}
	return h, nil
}

// args is the job of playbook's slot: unique by the two, so that a leader
// change, a restart or two leaders still queue a slot once.
func (l *Launcher) args(playbook string, slot time.Time) RunArgs {
	return RunArgs{
		Key:      playbook + "@" + slot.UTC().Format("2006-01-02T15:04:05.000Z"),
		Playbook: playbook, Roles: l.roles, Caller: scheduler.CallerName,
		Trigger: runs.TriggerSchedule, Slot: slot,
	}
}

// remoteHandle is a scheduled run as the leader sees it, wherever it
// executes.
type remoteHandle struct {
	q        *Queue
	id       string
	ended    <-chan struct{}
	status   func() report.Status
	once     sync.Once
	detached chan struct{}
	done     chan struct{}
	doneOnce sync.Once
}

func (h *remoteHandle) ID() string { return h.id }

// Cancel asks the run to stop, for a newer slot (overlap replace). The
// scheduler's own shutdown (ErrShutdown: this replica stops, or lost the
// leadership) does not cancel it: the run belongs to the replica that
// executes it, and the handle lets go of it instead.
func (h *remoteHandle) Cancel(cause error) {
	if errors.Is(cause, scheduler.ErrShutdown) {
		h.once.Do(func() { close(h.detached) })
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), storeTimeout)
	defer cancel()
	h.q.Cancel(ctx, h.id, scheduler.CallerName+" ("+cause.Error()+")")
}

// Done is closed when the run ended, or the handle let go of it.
func (h *remoteHandle) Done() <-chan struct{} {
	h.doneOnce.Do(func() {
		h.done = make(chan struct{})
		go func() {
			select {
			case <-h.ended:
			case <-h.detached:
			}
			close(h.done)
		}()
	})
	return h.done
}

// Status is the run's final status; a run let go of still runs.
func (h *remoteHandle) Status() report.Status {
	select {
	case <-h.ended:
		return h.status()
	default:
		return history.StatusRunning
	}
}
