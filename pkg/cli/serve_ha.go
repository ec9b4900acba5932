package cli

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/rs/zerolog"

	"github.com/arsenal-run/arsenal-run/pkg/auth"
	"github.com/arsenal-run/arsenal-run/pkg/queue"
	"github.com/arsenal-run/arsenal-run/pkg/runs"
	"github.com/arsenal-run/arsenal-run/pkg/scheduler"
	"github.com/arsenal-run/arsenal-run/pkg/server"
	"github.com/arsenal-run/arsenal-run/pkg/steps"
	"github.com/arsenal-run/arsenal-run/pkg/store/postgres"
)

// replicaState is what the runs of the queue read of serve's current
// configuration: the playbooks and the policy, swapped by SIGHUP.
type replicaState struct{ st atomic.Pointer[server.State] }

func (r *replicaState) playbook(name string) (*steps.Playbook, bool) {
	st := r.st.Load()
	if st == nil || st.Playbooks == nil {
		return nil, false
	}
	return st.Playbooks.Get(name)
}

func (r *replicaState) policy() *auth.Policy {
	if st := r.st.Load(); st != nil {
		return st.Policy
	}
	return nil
}

// startQueue starts this replica's side of the run queue on a PostgreSQL
// store.
func (d *daemon) startQueue(pg *postgres.Store, mgr *runs.Manager, rs *replicaState, env runs.Env, log *zerolog.Logger) (*queue.Queue, error) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	q, err := queue.New(ctx, queue.Config{Store: pg, Manager: mgr, Playbook: rs.playbook, Policy: rs.policy, Env: env,
		Workers: d.o.maxRunning, Logger: log})
	if err != nil {
		return nil, err
	}
	if err := q.Start(context.Background()); err != nil {
		return nil, err
	}
	return q, nil
}

// joinHealth is /healthz with a shared store: the database and queue's
// health (queue.Queue.Health), whose error makes it 503, and the scheduler's
// (schedules.health), which says what the leader's scheduler says.
func joinHealth(first, second func(context.Context) (map[string]any, error)) func(context.Context) (map[string]any, error) {
	return func(ctx context.Context) (map[string]any, error) {
		out, err := first(ctx)
		if out == nil {
			out = map[string]any{}
		}
		more, err2 := second(ctx)
		for k, v := range more {
			out[k] = v
		}
		return out, errors.Join(err, err2)
	}
}

// leaderScheduler is serve's scheduler on a shared store: it runs on the
// replica that leads (queue.Lead), fires each slot as a job unique by
// (playbook, slot), and follows the runs wherever they execute. Reload
// swaps the playbooks, now if this replica leads and for whenever it does.
type leaderScheduler struct {
	q     *queue.Queue
	pg    *postgres.Store
	roles []string // of the runs it queues: --schedule-role
	allow int      // runs of a playbook at once under overlap: allow
	log   *zerolog.Logger
	// metrics are serve's, on its /metrics: each leadership's scheduler
	// records into them, so they outlive it.
	metrics *scheduler.Metrics
	mu      sync.Mutex
	pbs     []*steps.Playbook
	cur     *scheduler.Scheduler
	loaded  bool // cur has loaded the playbooks and fires them
	warnf   func(string, ...any)
}

func (l *leaderScheduler) Run(ctx context.Context) error {
	l.q.Lead(ctx, l.lead)
	return nil
}

// lead runs a scheduler while this replica leads. Its shutdown at the end
// of the leadership lets go of the runs it started: they go on where they
// execute, and the next leader fires the next slots.
func (l *leaderScheduler) lead(ctx context.Context) error {
	launcher := queue.NewLauncher(l.q, l.roles)
	takeover := 3 * l.pg.Lease()
	// A leader that died between recording a slot fired and queuing its
	// job left the slot decided but never run.
	if _, err := launcher.Recover(ctx, takeover); err != nil {
		l.log.Warn().Err(err).Msg("could not look for the slots the previous leader did not queue")
	}
	s, err := scheduler.New(scheduler.Config{Launcher: launcher, Store: l.pg,
		Logger: l.log, Metrics: l.metrics, LetGo: true, Takeover: takeover,
		MaxConcurrentRuns: l.allow, LimitFrom: "--max-concurrent-runs"})
	if err != nil {
		return err
	}
	l.mu.Lock()
	pbs := l.pbs
	l.cur = s
	l.mu.Unlock()
	defer func() {
		l.mu.Lock()
		l.cur, l.loaded = nil, false
		l.mu.Unlock()
	}()
	if err := s.Load(pbs); err != nil {
		l.warnf("the scheduler did not start: %v", err)
		<-ctx.Done()
		return nil
	}
	l.mu.Lock()
	l.loaded = true
	l.mu.Unlock()
	l.q.Schedules()
	return s.Run(ctx)
}

// health is the scheduler's while this replica leads and its scheduler
// fires; ok is false while it does not (another replica fires the
// schedules, or this one's scheduler still loads them).
func (l *leaderScheduler) health() (scheduler.Health, bool) {
	l.mu.Lock()
	cur, loaded := l.cur, l.loaded
	l.mu.Unlock()
	if cur == nil || !loaded {
		return scheduler.Health{}, false
	}
	return cur.Health(), true
}

func (l *leaderScheduler) Reload(pbs []*steps.Playbook) error {
	l.mu.Lock()
	l.pbs = pbs
	cur := l.cur
	l.mu.Unlock()
	if cur != nil {
		return cur.Load(pbs)
	}
	return nil
}

// historyHealth is what /healthz says of the history, on either store:
// while the ends of runs that the store refused (a full disk, a
// history.db held by another process, a database away for longer than
// its retries) wait to be recorded again, history_unrecorded counts them
// and the refusal makes /healthz 503.
func historyHealth(svc *runs.Service) func(context.Context) (map[string]any, error) {
	return func(context.Context) (map[string]any, error) {
		n, err := svc.Unrecorded()
		if n == 0 {
			return nil, nil
		}
		if err == nil {
			err = errors.New("the store refused them")
		}
		return map[string]any{"history_unrecorded": n}, &server.HealthError{Reason: "history",
			Err: fmt.Errorf("the history cannot record the end of %d run(s): %w; they are recorded again every 10s: free space in the state dir or bring the store back", n, err)}
	}
}

// storeHealth is the shared store's and queue's health (queue.Queue.Health)
// with its error classed "store" for the callers of /healthz without a
// key: the database's error names its host and the role of --state.
func storeHealth(q *queue.Queue) func(context.Context) (map[string]any, error) {
	return func(ctx context.Context) (map[string]any, error) {
		out, err := q.Health(ctx)
		if err != nil {
			err = &server.HealthError{Reason: "store", Err: err}
		}
		return out, err
	}
}
