// Package store names what arsenal-run keeps between runs (the history of
// runs and steps, the scheduler's record of slots, the result cache,
// concurrency groups, reports and the report key) as interfaces, and opens
// one of its two implementations:
//
//   - SQLite (pkg/history), embedded in a state directory on one host: the
//     default, and what --state-dir DIR means;
//   - PostgreSQL (pkg/store/postgres), shared by several processes on
//     several hosts: what --state postgres://… or $ARSENAL_STATE selects.
//
// The record types (history.Run, history.Slot, history.CacheEntry, ...)
// and the contract of each method are pkg/history's; the PostgreSQL store
// keeps the same contract, and one suite of tests (storetest) runs against
// both.
package store

import (
	"context"
	"time"

	"github.com/arsenal-run/arsenal-run/pkg/history"
	"github.com/arsenal-run/arsenal-run/pkg/report"
	"github.com/arsenal-run/arsenal-run/pkg/store/postgres"
)

// History records runs as they start, go on and end, and answers the
// history, stats and the API. See history.Store for each method's contract.
type History interface {
	RecordStart(ctx context.Context, run history.Run) error
	RecordStep(ctx context.Context, runID string, res history.StepResult) error
	RecordSteps(ctx context.Context, runID string, rows []history.StepResult) error
	RecordFinish(ctx context.Context, r *report.Report, reportPath, playbookPath string) error
	RecordFinished(ctx context.Context, runs []history.Finished) error
	MarkInterrupted(ctx context.Context) (int, error)
	List(ctx context.Context, f history.Filter) ([]history.Run, error)
	Get(ctx context.Context, id string) (history.Run, error)
	Steps(ctx context.Context, runID string) ([]history.StepRow, error)
	Stats(ctx context.Context, since, until time.Time) ([]history.OpStats, []history.PlaybookStats, error)
	ResourceStats(ctx context.Context, since time.Time) ([]history.OpResources, error)
	Prune(ctx context.Context, keepRuns, keepDays int) ([]string, error)
}

// InterruptNamer is a History whose MarkInterrupted can name the runs it
// marked (MarkInterruptedIDs), for the start-up line of serve and
// schedule.
type InterruptNamer interface {
	MarkInterruptedIDs(ctx context.Context) ([]string, error)
}

// StartQueuer is a History that records a run's start without waiting
// for its commit, and lets the run's end take the place of a start still
// queued (see history.Store.QueueStart). written waits for the start.
type StartQueuer interface {
	QueueStart(run history.Run) (written func() error)
}

// Slots is the scheduler's record of slots: each (playbook, slot) is
// claimed at most once, whichever process claims it.
type Slots interface {
	TrackSchedules(ctx context.Context, now time.Time, refs []history.ScheduleRef) (map[string]history.Cursor, error)
	ClaimSlots(ctx context.Context, slots []history.Slot) ([]bool, error)
	SettleSlot(ctx context.Context, slot history.Slot) error
	Slots(ctx context.Context, playbook string, since time.Time, limit int) ([]history.Slot, error)
	PruneSlots(ctx context.Context, before time.Time) (int64, error)
}

// Cache is the result cache of steps that set cache:.
type Cache interface {
	CacheGet(ctx context.Context, key string, now time.Time) (history.CacheEntry, bool, error)
	CachePut(ctx context.Context, e history.CacheEntry) error
	CacheDelete(ctx context.Context, key string) error
	CacheList(ctx context.Context, f history.CacheFilter) ([]history.CacheInfo, error)
	CacheClear(ctx context.Context, f history.CacheFilter) (int64, error)
}

// Groups keeps the lines of concurrency groups. The rows of a process
// that died are dropped, so a crash never holds a group.
type Groups interface {
	// GroupEnqueue puts run in group's line; who says who started it (what
	// GroupWho returns, opaque to the store).
	GroupEnqueue(ctx context.Context, group, run, who string) error
	// GroupWho returns the who of run's place in group, and false when run
	// has none.
	GroupWho(ctx context.Context, group, run string) (string, bool, error)
	GroupTry(ctx context.Context, group, run string) (acquired bool, ahead []string, err error)
	// GroupRequestCancel asks the runs named, of group, to stop, when by
	// still has its place of this Store's in the line; the others are
	// left alone.
	GroupRequestCancel(ctx context.Context, group, by string, runs []string) error
	GroupCancelledBy(ctx context.Context, group, run string) (string, error)
	GroupRelease(ctx context.Context, group, run string) error
}

// Reports is where the run service keeps its own copy of each report, and
// the key it signs them with.
type Reports interface {
	// Reports returns the folder the service writes each run's JSON
	// report to (as RUN_ID.json), or "" when the store keeps the reports
	// itself: RecordFinish then stores the report it is given.
	Reports() string
	// ReadReport returns the JSON of a run's recorded report: the file
	// its history row names, or the copy the store keeps. It returns
	// history.ErrNotFound when the run has none.
	ReadReport(ctx context.Context, runID string) ([]byte, error)
	// ReportKey returns the key reports are signed with, created on first
	// use: every process on the store signs and verifies with the same.
	ReportKey(ctx context.Context) ([]byte, error)
}

// Store is everything a run service, a scheduler and the CLI keep. Its
// methods are safe for concurrent use. Close ends it: the runs it
// recorded as running and did not finish are then interrupted for the
// next MarkInterrupted.
type Store interface {
	History
	Slots
	Cache
	Groups
	Reports
	Pauses
	// Describe says where the store is, for messages and logs: the state
	// dir, or the database with its password masked.
	Describe() string
	Close() error
}

// Pauses keeps the pause flags of schedules: a paused playbook fires no
// slot until it is resumed. See history.Store for each method.
type Pauses interface {
	PauseSchedule(ctx context.Context, p history.Pause) (history.Pause, bool, error)
	ResumeSchedule(ctx context.Context, playbook string) (history.Pause, error)
	Pauses(ctx context.Context) (map[string]history.Pause, error)
}

var (
	_ Store = (*history.Store)(nil)
	_ Store = (*postgres.Store)(nil)
)
