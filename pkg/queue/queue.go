// Package queue runs the playbook runs of several replicas of `serve` through
// one job queue in the PostgreSQL store, with River
// (github.com/riverqueue/river): a run asked for through the API, or due
// on a schedule, becomes a job; any replica's workers may take it, and
// exactly one runs it, through its own run service (runs.Manager), so it
// is recorded, reported and audited as any other.
//
// What River does not give, the store does:
//
//   - A replica that dies mid-run is noticed by its heartbeat (see
//     pkg/store/postgres): every replica's reaper marks the runs of a
//     replica silent for longer than the lease interrupted, never left
//     running, and its concurrency groups are released. The run is not
//     run again unless its playbook says retry_on_node_loss: true; then a
//     new run is queued once, whichever replica notices first. A job the
//     dead replica had taken but not started goes back to the queue.
//   - A replica only cut off from the database does not know it is taken
//     for dead: at half its lease without a heartbeat it stops its runs
//     that hold a concurrency group or would be run again (see await and
//     postgres.Store.Fence), so that they have ended when the others free
//     the group or queue the retry.
//   - Cancel works from any replica: the request is a row of run_cancels,
//     which the replica running the run polls.
//   - The events of a run are written to run_events as it goes, so a
//     replica streams a run that another one executes.
//   - A run started with "ask" writes its confirm: questions to
//     run_questions; any replica answers one there (auditing it itself),
//     and the replica running the run polls for answers and gives them.
//
// Queued runs carry their inputs in the job's row until the job ends:
// secret inputs are in the database meanwhile (completed jobs are deleted
// within a minute). Replicas must serve the same playbooks: a job names
// its playbook, and the replica that takes it runs its own copy.
//
// Lifecycle: New (migrates River's tables), Start, then Stop, which stops
// taking jobs and waits for the jobs running here: the caller shuts its
// runs.Manager down meanwhile so that they end.
package queue

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/rivermigrate"
	"github.com/rs/zerolog"

	"github.com/arsenal-run/arsenal-run/pkg/auth"
	"github.com/arsenal-run/arsenal-run/pkg/runs"
	"github.com/arsenal-run/arsenal-run/pkg/steps"
	"github.com/arsenal-run/arsenal-run/pkg/store/postgres"
)

// Config is what New needs. Store, Manager and Playbook are required.
type Config struct {
	Store   *postgres.Store
	Manager *runs.Manager
	// Playbook returns this replica's copy of a playbook by name.
	Playbook func(name string) (*steps.Playbook, bool)
	// Policy returns the policy queued runs are authorized with (serve's
	// current one); nil means the run service's.
	Policy func() *auth.Policy
	// Env is what queued runs may read (serve's --env-passthrough).
	Env runs.Env
	// Workers bounds the queued runs this replica runs at once; 0 means
	// runs.DefaultMaxRunning.
	Workers int
	// Poll is how often a replica looks for requests to cancel its runs,
	// for the end of runs it waits for, and for the events of runs it
	// relays; 0 means DefaultPoll.
	Poll   time.Duration
	Logger *zerolog.Logger

	// finalRetryFor and endedGrace: see their defaults; tests shorten
	// them.
	finalRetryFor time.Duration
	endedGrace    time.Duration
}

// DefaultPoll is Config.Poll's default.
const DefaultPoll = 200 * time.Millisecond

// Queue is one replica's side of the run queue. Its methods are safe for
// concurrent use.
type Queue struct {
	cfg     Config
	client  *river.Client[pgx.Tx]
	sealer  *sealer
	log     zerolog.Logger
	metrics *Metrics

	mu      sync.Mutex
	local   map[string]*runs.Handle // runs this replica executes, by id
	waiters map[string]*waiter      // runs whose end someone here waits for

	leading    atomic.Bool
	scheduling atomic.Bool                 // the leadership's scheduler fires (Schedules)
	awaySince  atomic.Int64                // when the reaper found the database away (UnixNano); 0: it answers
	callers    atomic.Pointer[CallerCheck] // nil: every caller is taken as still in force

	stopping  chan struct{} // closed when Stop begins
	stopOnce  sync.Once
	stop      chan struct{} // closed once the jobs here ended
	wg        sync.WaitGroup
	lettingGo atomic.Int32 // workers in letGo
}

// New migrates River's tables (under the store's migration lock) and
// builds the queue; Start starts its workers.
func New(ctx context.Context, cfg Config) (*Queue, error) {
	if cfg.Store == nil || cfg.Manager == nil || cfg.Playbook == nil {
		return nil, errors.New("queue: a store, a run manager and a playbook lookup are required")
	}
	if cfg.Workers <= 0 {
		cfg.Workers = runs.DefaultMaxRunning
	}
	if cfg.Poll <= 0 {
		cfg.Poll = DefaultPoll
	}
	if cfg.Policy == nil {
		cfg.Policy = func() *auth.Policy { return nil }
	}
	if cfg.finalRetryFor <= 0 {
		cfg.finalRetryFor = finalRetryFor
	}
	if cfg.endedGrace <= 0 {
		cfg.endedGrace = endedGrace
	}
	q := &Queue{cfg: cfg, log: zerolog.Nop(), local: map[string]*runs.Handle{}, waiters: map[string]*waiter{},
		stopping: make(chan struct{}), stop: make(chan struct{}), metrics: newMetrics()}
	// River's own lines go to the same log, in its format, from warnings
	// up whatever the log level: below that, River tells of its routine.
	// Its errors while the database is away are routine too (see
	// outageHandler).
	riverLog := zerolog.Nop()
	if cfg.Logger != nil {
		q.log = cfg.Logger.With().Str("component", "queue").Logger()
		riverLog = cfg.Logger.With().Str("component", "river").Logger()
		if riverLog.GetLevel() < zerolog.WarnLevel {
			riverLog = riverLog.Level(zerolog.WarnLevel)
		}
	}
	var err error
	if q.sealer, err = newSealer(ctx, cfg.Store); err != nil {
		return nil, err
	}
	driver := riverpgxv5.New(cfg.Store.Pool())
	if cfg.Logger != nil {
		ctx = postgres.WithNotice(ctx, func(msg string) { q.log.Warn().Msg(msg) })
	}
	if _, err := Migrate(ctx, cfg.Store.Pool()); err != nil {
		if postgres.PermissionDenied(err) {
			err = fmt.Errorf("%w; the role of the URL may not create tables: an administrator can run 'arsenal-run store migrate --state URL' with a role that may (the database's owner), then start this again", err)
		}
		return nil, err
	}
	workers := river.NewWorkers()
	river.AddWorker(workers, &runWorker{q: q})
	client, err := river.NewClient(driver, &river.Config{
		// River records on each job the client that took it: the store's
		// owner id tells the reaper whether that replica still lives.
		ID:      cfg.Store.Owner(),
		Queues:  map[string]river.QueueConfig{river.QueueDefault: {MaxWorkers: cfg.Workers}},
		Workers: workers,
		// A run has its own timeout (the playbook's); the job has none.
		JobTimeout: -1,
		// A job is never retried by River: a run whose replica died is
		// the reaper's (see reap), which knows whether it may run again.
		MaxAttempts: 1,
		// Nor rescued by River: its rescuer would discard the job of any
		// run longer than its default hour, though the run goes on. The
		// reaper's heartbeats find the dead replicas; a week only bounds
		// a job row that nothing else would ever end.
		RescueStuckJobsAfter: 7 * 24 * time.Hour,
		// Jobs hold inputs; they go soon after they end.
		CompletedJobRetentionPeriod: time.Minute,
		CancelledJobRetentionPeriod: time.Hour,
		DiscardedJobRetentionPeriod: time.Hour,
		FetchCooldown:               10 * time.Millisecond,
		// No daily reindex by River's leader: REINDEX needs the owner of
		// the index, and the replicas' least-privilege role is not (River
		// would log "must be owner of index" every midnight UTC). The
		// owner reindexes river_job's indexes when they bloat (see
		// docs/ha.md).
		ReindexerIndexNames: []string{},
		Logger:              slog.New(outageHandler{zerolog.NewSlogHandler(riverLog)}),
	})
	if err != nil {
		return nil, fmt.Errorf("queue: %w", err)
	}
	q.client = client
	return q, nil
}

// Start starts taking jobs, and the loops that reap dead replicas' runs,
// relay cancels and watch the end of awaited runs.
func (q *Queue) Start(ctx context.Context) error {
	if err := q.client.Start(ctx); err != nil {
		return fmt.Errorf("queue: %w", err)
	}
	q.loop(q.cfg.Store.Lease()/3, q.reap)
	q.loop(q.cfg.Poll, q.relayCancels)
	q.loop(q.cfg.Poll, q.relayAnswers)
	q.loop(q.cfg.Poll, q.pollEnds)
	return nil
}

// loop runs f every d until Stop.
func (q *Queue) loop(d time.Duration, f func(context.Context)) {
	q.wg.Add(1)
	go func() {
		defer q.wg.Done()
		t := time.NewTicker(d)
		defer t.Stop()
		for {
			select {
			case <-q.stop:
				return
			case <-t.C:
			}
			ctx, cancel := context.WithTimeout(context.Background(), max(d, 5*time.Second))
			f(ctx)
			cancel()
		}
	}()
}

// Stop stops taking jobs and waits, until ctx ends, for the jobs running
// here to end (shut the run manager down meanwhile, so that they do). It
// does not wait for the workers of jobs taken back from this replica
// (see letGo): those never end before the other replica's run, and must
// not, so Stop returns once they are all that is left.
func (q *Queue) Stop(ctx context.Context) error {
	q.stopOnce.Do(func() { close(q.stopping) })
	ctx, cancel := context.WithCancelCause(ctx)
	watched := make(chan struct{})
	go func() {
		defer close(watched)
		q.watchLetGo(ctx, cancel)
	}()
	err := q.client.Stop(ctx)
	cancel(nil)
	<-watched
	if errors.Is(context.Cause(ctx), errOnlyLetGo) {
		err = nil
	}
	select {
	case <-q.stop:
	default:
		close(q.stop)
	}
	q.wg.Wait()
	return err
}

// errOnlyLetGo ends River's Stop when only the workers of jobs taken back
// from this replica are left.
var errOnlyLetGo = errors.New("only the workers of jobs taken back from this replica are left")

// watchLetGo cancels ctx with errOnlyLetGo once the workers left here are
// the ones that let their jobs go, until ctx ends.
func (q *Queue) watchLetGo(ctx context.Context, cancel context.CancelCauseFunc) {
	t := time.NewTicker(q.cfg.Poll)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if q.lettingGo.Load() > 0 && q.onlyLetGoLeft(ctx) {
			cancel(errOnlyLetGo)
			return
		}
	}
}

// onlyLetGoLeft tells whether no job is running as this replica's in the
// database. Every job River still has here is: a worker's that has not
// ended, or one whose end River has not written yet. A job taken back is
// another replica's, or no longer running. When the database cannot say,
// the answer is no.
func (q *Queue) onlyLetGoLeft(ctx context.Context) bool {
	ctx, cancel := context.WithTimeout(ctx, max(q.cfg.Poll, 5*time.Second))
	defer cancel()
	var mine bool
	err := q.cfg.Store.Pool().QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM river_job j
		WHERE j.state = 'running' AND j.attempted_by[cardinality(j.attempted_by)] = $1)`, q.cfg.Store.Owner()).Scan(&mine)
	return err == nil && !mine
}

// Metrics returns the queue's metrics, to register on a /metrics registry.
func (q *Queue) Metrics() *Metrics { return q.metrics }

// Migrate creates or migrates the queue's own tables (River's, and the
// index of their jobs by run: see runIndex) in the database of pool,
// under the store's migration lock, and returns how many migrations it
// applied. With nothing to apply it only reads.
func Migrate(ctx context.Context, pool *pgxpool.Pool) (int, error) {
	n := 0
	err := postgres.WithMigrationLock(ctx, pool, func() error {
		m, err := rivermigrate.New(riverpgxv5.New(pool), nil)
		if err != nil {
			return err
		}
		res, err := m.Migrate(ctx, rivermigrate.DirectionUp, nil)
		if err != nil {
			return err
		}
		n = len(res.Versions)
		built, err := ensureRunIndex(ctx, pool)
		if built {
			n++
		}
		return err
	})
	if err != nil {
		return n, fmt.Errorf("queue: migrate the job tables: %w", err)
	}
	return n, nil
}

// Pending returns how many migrations of the queue's own tables Migrate
// would apply to the database of pool, without changing it.
func Pending(ctx context.Context, pool *pgxpool.Pool) (int, error) {
	m, err := rivermigrate.New(riverpgxv5.New(pool), nil)
	if err != nil {
		return 0, fmt.Errorf("queue: read the job tables' version: %w", err)
	}
	have, err := m.ExistingVersions(ctx)
	if err != nil {
		return 0, fmt.Errorf("queue: read the job tables' version: %w", err)
	}
	applied := make(map[int]bool, len(have))
	for _, v := range have {
		applied[v.Version] = true
	}
	n := 0
	for _, v := range m.AllVersions() {
		if !applied[v.Version] {
			n++
		}
	}
	if _, valid, err := runIndexState(ctx, pool); err != nil {
		return 0, err
	} else if !valid {
		n++
	}
	return n, nil
}
