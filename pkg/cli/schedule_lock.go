package cli

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/rs/zerolog"

	"github.com/arsenal-run/arsenal-run/internal/short"
	"github.com/arsenal-run/arsenal-run/pkg/history"
	"github.com/arsenal-run/arsenal-run/pkg/scheduler"
	"github.com/arsenal-run/arsenal-run/pkg/store"
	"github.com/arsenal-run/arsenal-run/pkg/store/postgres"
)

// Lock checks of `schedule --state URL`. A check is a `SELECT 1` on the
// lock's own connection; a try to take the lock again opens one.
const (
	// lockCheck is how often the lock is checked while held, and how
	// often it is tried again once its connection broke (the database
	// restarted): a restart's lock is taken back within about this long
	// of the database being back, before a second scheduler is likely to
	// be started. It also bounds one check or one try.
	lockCheck = 2 * time.Second
	// lockRetry is how often it is tried again while another scheduler
	// holds it.
	lockRetry = 10 * time.Second
)

// lockSchedule makes this `schedule` process the one scheduler of its
// state, as lockScheduler does; in a database the lock comes back as a
// *dbLock too (nil for a state dir), which the daemon keeps and fences
// its slots with.
func lockSchedule(ctx context.Context, spec store.Spec) (unlock func(), db *dbLock, err error) {
	if !spec.Postgres() {
		unlock, err = lockScheduler(spec)
		return unlock, nil, err
	}
	db, err = lockDatabase(ctx, spec.URL)
	if err != nil {
		return nil, nil, err
	}
	return db.Unlock, db, nil
}

// dbLock is the scheduler lock of a database, as a `schedule` process
// holds it for as long as it runs. PostgreSQL keeps the lock with the
// session that took it and drops it when that session ends, however it
// ends: a restart or failover of the database, a network cut,
// pg_terminate_backend. A scheduler that went on firing after that would
// share the database with a second one started meanwhile, each applying
// the overlap policy to its own runs only. So the slots are fenced by the
// lock (fence): no slot is claimed, and no queued slot starts, unless its
// connection answers just before; and keep checks it every lockCheck and
// takes it again once it is lost. Meanwhile nothing fires, and the runs
// going on go on: a database restart does not cut them. Its methods are
// safe for concurrent use.
type dbLock struct {
	url  string
	name string // the database, masked

	mu     sync.Mutex
	lock   *postgres.SchedulerLock // nil while lost
	why    error                   // why it was lost, while it is
	holder string                  // the other scheduler that holds it, when known
	closed bool                    // Unlock was called
	log    zerolog.Logger
	// tryFor bounds one try to take the lock again; 0 is lockCheck.
	tryFor time.Duration
}

// lockDatabase takes the scheduler lock of the database at url, or
// returns the *postgres.LockedError that names its holder.
func lockDatabase(ctx context.Context, url string) (*dbLock, error) {
	l, err := postgres.LockScheduler(ctx, url)
	if err != nil {
		return nil, err
	}
	return &dbLock{url: url, name: postgres.Mask(url), lock: l, log: zerolog.Nop()}, nil
}

// Unlock releases the lock, if held; it is idempotent.
func (l *dbLock) Unlock() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.lock.Unlock()
	l.lock, l.closed = nil, true
	if l.why == nil {
		l.why = errors.New("released: the scheduler stops")
	}
}

// LostError is the scheduler lock of a database lost: its connection
// broke (Cause), and the lock is not this process's again yet, or is
// another scheduler's (Holder).
type LostError struct {
	Database string // masked
	Cause    error
	Holder   string // the other scheduler, when one took the lock; "" else
}

func (e *LostError) Error() string {
	msg := fmt.Sprintf("this scheduler lost its lock on %s (%v), and fires nothing until it holds it again", e.Database, e.Cause)
	if e.Holder != "" {
		msg += "; " + e.Holder + " took it meanwhile: stop one of the two"
	}
	return msg
}

// held checks that the lock is this process's now, within lockCheck; a
// lock whose connection does not answer is lost. It never takes the lock
// again: keep does.
func (l *dbLock) held(ctx context.Context) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.lock == nil {
		return &LostError{Database: l.name, Cause: l.why, Holder: l.holder}
	}
	// The connection answering is the lock being held: PostgreSQL keeps
	// it for as long as the session lasts, and pgx never reconnects a
	// single connection behind our back.
	ctx, cancel := context.WithTimeout(ctx, lockCheck)
	err := l.lock.Alive(ctx)
	cancel()
	if err == nil {
		return nil
	}
	l.lost(err)
	return &LostError{Database: l.name, Cause: l.why}
}

// lost lets go of the lock whose connection failed with err. l.mu is held.
func (l *dbLock) lost(err error) {
	l.lock.Unlock()
	l.lock, l.why, l.holder = nil, fmt.Errorf("its connection broke: %w", err), ""
	l.log.Warn().Err(err).Str("state", l.name).
		Msg("lost the scheduler lock: its connection to the database broke (a restart, a failover or a network cut); no slot fires until this process holds the lock again, which it tries every " + short.Duration(lockCheck) + "; the runs going on go on")
}

// check is one look of keep: a held lock is checked, a lost one tried
// again. It returns how long to wait before the next look.
func (l *dbLock) check(ctx context.Context) time.Duration {
	if l.held(ctx) == nil {
		return lockCheck
	}
	l.mu.Lock()
	log, tryFor := l.log, l.tryFor
	l.mu.Unlock()
	if tryFor <= 0 {
		tryFor = lockCheck
	}
	// A database that does not answer makes the try wait: that is said
	// in the log, as the lock's other lines are, not bare on stderr (the
	// store's own word, where nothing else catches it). It is debug:
	// "lost the scheduler lock" said already that tries go on.
	ctx = postgres.WithNotice(ctx, func(msg string) {
		log.Debug().Str("state", l.name).Msg("taking the scheduler lock again: " + msg)
	})
	ctx, cancel := context.WithTimeout(ctx, tryFor)
	lock, err := postgres.LockScheduler(ctx, l.url)
	cancel()
	l.mu.Lock()
	defer l.mu.Unlock()
	var other *postgres.LockedError
	switch {
	case err == nil && l.closed:
		lock.Unlock()
		return lockCheck
	case err == nil:
		l.lock, l.why, l.holder = lock, nil, ""
		l.log.Info().Str("state", l.name).Msg("holds the scheduler lock again: slots fire again")
		return lockCheck
	case errors.As(err, &other):
		if holder := holderOf(other); holder != l.holder {
			l.holder = holder
			l.log.Warn().Str("state", l.name).Str("holder", holder).
				Msg("another scheduler took the lock while this one's connection was broken: this one fires nothing while that one runs, and takes the lock again when it stops; stop one of the two")
		}
		return lockRetry
	}
	l.log.Debug().Err(err).Str("state", l.name).Msg("could not take the scheduler lock again yet")
	return lockCheck
}

// holderOf names the scheduler that holds a lock as its refusal does.
func holderOf(e *postgres.LockedError) string {
	if e.Holder != "" {
		return "another scheduler (" + e.Holder + ")"
	}
	return "another scheduler"
}

// keep checks the lock until the returned function is called, which
// waits for it to stop. It logs to log.
func (l *dbLock) keep(log zerolog.Logger) (stop func()) {
	l.mu.Lock()
	l.log = log
	l.mu.Unlock()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		t := time.NewTimer(lockCheck)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
			t.Reset(l.check(ctx))
		}
	}()
	return func() {
		cancel()
		<-done
	}
}

// fence returns st, whose slots are claimed, whose pauses are read (as
// every queued slot's start does) and whose schedules are tracked (as a
// reload does) only while this process holds the lock: otherwise they
// fail with a *LostError, and the scheduler fires nothing and tries again
// shortly, as when the database is away. The outcomes of slots already
// claimed are still recorded. On a nil l, st itself.
func (l *dbLock) fence(st scheduler.Store) scheduler.Store {
	if l == nil {
		return st
	}
	return &fencedStore{Store: st, lock: l}
}

type fencedStore struct {
	scheduler.Store
	lock *dbLock
}

func (f *fencedStore) ClaimSlots(ctx context.Context, slots []history.Slot) ([]bool, error) {
	if err := f.lock.held(ctx); err != nil {
		return nil, err
	}
	return f.Store.ClaimSlots(ctx, slots)
}

func (f *fencedStore) Pauses(ctx context.Context) (map[string]history.Pause, error) {
	if err := f.lock.held(ctx); err != nil {
		return nil, err
	}
	return f.Store.Pauses(ctx)
}

func (f *fencedStore) TrackSchedules(ctx context.Context, now time.Time, refs []history.ScheduleRef) (map[string]history.Cursor, error) {
	if err := f.lock.held(ctx); err != nil {
		return nil, err
	}
	return f.Store.TrackSchedules(ctx, now, refs)
}

// Unreachable and QueuedSlots are the store's optional methods that the
// scheduler looks for (see scheduler.Store), passed on: embedding the
// interface would hide them. A store without them answers as if it did
// not have them.
func (f *fencedStore) Unreachable(t time.Time) bool {
	u, ok := f.Store.(interface{ Unreachable(time.Time) bool })
	return ok && u.Unreachable(t)
}

func (f *fencedStore) QueuedSlots(ctx context.Context) ([]history.Slot, error) {
	if q, ok := f.Store.(interface {
		QueuedSlots(context.Context) ([]history.Slot, error)
	}); ok {
		return q.QueuedSlots(ctx)
	}
	return nil, nil
}
