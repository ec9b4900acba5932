package runs

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/arsenal-run/arsenal-run/pkg/history"
	"github.com/arsenal-run/arsenal-run/pkg/report"
	"github.com/arsenal-run/arsenal-run/pkg/store"
)

// awayStore is a store that refuses the ends of runs while away is set, as
// a shared database that is away for longer than its own retries.
type awayStore struct {
	store.Store
	away   atomic.Bool
	refuse sync.Map // run ids whose end is refused for ever
	// local makes its errors those of the local store, which say
	// "history:" themselves.
	local bool
}

func (s *awayStore) RecordFinish(ctx context.Context, r *report.Report, path, pbPath string) error {
	if _, ok := s.refuse.Load(r.RunID); ok {
		return errors.New("postgres: record finish: value too long")
	}
	if s.away.Load() {
		return errors.New("postgres: record finish: the database is away")
	}
	return s.Store.RecordFinish(ctx, r, path, pbPath)
}

func (s *awayStore) RecordFinished(ctx context.Context, runs []history.Finished) error {
	if s.away.Load() && s.local {
		return errors.New("history: record 1 runs: disk I/O error")
	}
	if s.away.Load() {
		return errors.New("postgres: record 1 runs: the database is away")
	}
	return s.Store.RecordFinished(ctx, runs)
}

// warnings collects the service's warnings.
type warnings struct {
	mu    sync.Mutex
	lines []string
}

func (w *warnings) warn(format string, args ...any) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.lines = append(w.lines, strings.TrimSpace(fmt.Sprintf(format, args...)))
}

func (w *warnings) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return strings.Join(w.lines, "\n")
}

func setLateEvery(t *testing.T, d time.Duration) {
	was := lateEvery
	lateEvery = d
	t.Cleanup(func() { lateEvery = was })
}

// TestEndRecordedOnceTheStoreTakesIt: the end of a run that the store
// refused is recorded again until it takes it, so the run does not stay
// running in the history; the front end is told meanwhile.
func TestEndRecordedOnceTheStoreTakesIt(t *testing.T) {
	h, st, w, m := awayManager(t, Limits{MaxRunning: 2})
	runs := runWhileAway(t, m, st, 3)
	var ids []string
	for _, run := range runs {
		ids = append(ids, run.ID())
		if errs := run.SinkErrors(); len(errs) != 1 || !strings.Contains(errs[0].Error(), "recorded again every") {
			t.Errorf("the front end was told %v; want the store's refusal, and that it is tried again", errs)
		}
		if r, err := h.Get(context.Background(), run.ID()); err != nil || r.Status != history.StatusRunning {
			t.Fatalf("run %s while the store is away: %s, %v; want running", run.ID(), r.Status, err)
		}
	}
	st.away.Store(false)
	waitSucceeded(t, h, ids, "once the store is back")
	// The warning follows the store's write, which the history shows
	// first.
	for deadline := time.Now().Add(10 * time.Second); !strings.Contains(w.String(), "recorded at last"); time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Errorf("warnings:\n%s\nwant one saying the ends were recorded at last", w.String())
			break
		}
	}
}

// TestHistoryWarningSaysHistoryOnce: a warning about the local store's
// error reads "history: record 1 runs: …", not "history: history: …"; a
// shared store's error is still told as the history's.
func TestHistoryWarningSaysHistoryOnce(t *testing.T) {
	for _, local := range []bool{true, false} {
		h, st, w, m := awayManager(t, Limits{})
		st.local = local
		st.away.Store(true)
		res, err := m.ExecuteOp(context.Background(), OpRequest{Op: "control.noop", Caller: Caller{Trigger: TriggerAPI, Name: "ci"}})
		if err != nil {
			t.Fatal(err)
		}
		want := "history: postgres: record 1 runs: the database is away (recorded again every"
		if local {
			want = "history: record 1 runs: disk I/O error (recorded again every"
		}
		if got := w.String(); !strings.Contains(got, want) || strings.Contains(got, "history: history:") {
			t.Errorf("warnings:\n%s\nwant %q", got, want)
		}
		st.away.Store(false)
		waitSucceeded(t, h, []string{res.RunID}, "once the store is back")
	}
}

// TestExecuteRecordedOnceTheStoreTakesIt: an executed operation, recorded
// only at its end, is recorded again until the store takes it, rather
// than leaving a gap in the history.
func TestExecuteRecordedOnceTheStoreTakesIt(t *testing.T) {
	h, st, w, m := awayManager(t, Limits{})
	st.away.Store(true)
	var ids []string
	for range 3 {
		res, err := m.ExecuteOp(context.Background(), OpRequest{Op: "control.noop", Caller: Caller{Trigger: TriggerAPI, Name: "ci"}})
		if err != nil || res.Status != report.StatusSucceeded {
			t.Fatalf("execute while the store is away: %+v, %v; want it to succeed", res, err)
		}
		ids = append(ids, res.RunID)
	}
	if _, err := h.Get(context.Background(), ids[0]); err == nil {
		t.Fatal("the execute is in the history while the store is away")
	}
	if !strings.Contains(w.String(), "recorded again every") {
		t.Errorf("warnings:\n%s\nwant one saying the execute is recorded again", w.String())
	}
	st.away.Store(false)
	waitSucceeded(t, h, ids, "once the store is back")
	if r, _ := h.Get(context.Background(), ids[0]); r.Trigger != history.TriggerAPI || r.StartedBy != "ci" {
		t.Errorf("recorded late with trigger %q by %q, want api by ci", r.Trigger, r.StartedBy)
	}
}

// TestEndRecordedOnClose: an end still refused when the service closes is
// tried once more then.
func TestEndRecordedOnClose(t *testing.T) {
	setLateEvery(t, time.Hour)
	dir := t.TempDir()
	h, err := history.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	st := &awayStore{Store: h}
	svc, err := NewService(Config{Registry: newRegistry(t), Store: st})
	if err != nil {
		t.Fatal(err)
	}
	m := NewManager(svc, Limits{MaxRunning: 1})
	st.away.Store(true)
	run, err := m.Start(context.Background(), Request{Path: writePlaybook(t, "version: 1\nname: noop\nsteps:\n  - {id: a, op: control.noop}\n")})
	if err != nil {
		t.Fatal(err)
	}
	wait(t, run)
	st.away.Store(false)
	if err := m.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := svc.Close(); err != nil {
		t.Fatal(err)
	}
	h, err = history.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	if r, err := h.Get(context.Background(), run.ID()); err != nil || r.Status != report.StatusSucceeded {
		t.Errorf("run %s after close: %s, %v; want succeeded", run.ID(), r.Status, err)
	}
}

// hangStore is an awayStore whose RecordFinish, while hang is set, waits
// for its context to end, as a store retrying for a database that is away.
type hangStore struct {
	*awayStore
	hang    atomic.Bool
	waiting chan struct{} // gets a value each time a call starts waiting
}

func (s *hangStore) RecordFinish(ctx context.Context, r *report.Report, path, pbPath string) error {
	if s.hang.Load() {
		s.waiting <- struct{}{}
		<-ctx.Done()
		return ctx.Err()
	}
	return s.awayStore.RecordFinish(ctx, r, path, pbPath)
}

// TestCloseDoesNotWaitForARetryInFlight: closing the service stops a
// try of a kept end that waits on the store, then tries once more, within
// lateOnClose rather than the store's own retries.
func TestCloseDoesNotWaitForARetryInFlight(t *testing.T) {
	setLateEvery(t, 20*time.Millisecond)
	dir := t.TempDir()
	h, err := history.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	st := &hangStore{awayStore: &awayStore{Store: h}, waiting: make(chan struct{}, 1)}
	svc, err := NewService(Config{Registry: newRegistry(t), Store: st})
	if err != nil {
		t.Fatal(err)
	}
	m := NewManager(svc, Limits{MaxRunning: 1})
	st.away.Store(true)
	run, err := m.Start(context.Background(), Request{Path: writePlaybook(t, "version: 1\nname: noop\nsteps:\n  - {id: a, op: control.noop}\n")})
	if err != nil {
		t.Fatal(err)
	}
	wait(t, run)
	st.hang.Store(true)
	<-st.waiting // a try of the kept end waits on the store
	st.hang.Store(false)
	st.away.Store(false)
	if err := m.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	closed := make(chan error, 1)
	go func() { closed <- svc.Close() }()
	select {
	case err := <-closed:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(lateOnClose + 2*time.Second):
		t.Fatal("Close waits for the try in flight")
	}
	h, err = history.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	if r, err := h.Get(context.Background(), run.ID()); err != nil || r.Status != report.StatusSucceeded {
		t.Errorf("run %s after close: %s, %v; want succeeded", run.ID(), r.Status, err)
	}
}

// TestAnEndNeverTakenHoldsNoOther: an end the store refuses for good goes
// to the back each time, so the ends behind it are recorded all the same.
func TestAnEndNeverTakenHoldsNoOther(t *testing.T) {
	h, st, _, m := awayManager(t, Limits{MaxRunning: 1})
	var ids []string
	for _, run := range runWhileAway(t, m, st, 3) {
		ids = append(ids, run.ID())
	}
	st.refuse.Store(ids[0], true)
	st.away.Store(false)
	waitSucceeded(t, h, ids[1:], "behind one the store never takes")
}

// awayManager is a manager on an awayStore over a fresh history, whose
// refused ends are recorded again every 20 ms, with its warnings.
func awayManager(t *testing.T, limits Limits) (*history.Store, *awayStore, *warnings, *Manager) {
	t.Helper()
	setLateEvery(t, 20*time.Millisecond)
	h, err := history.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	st := &awayStore{Store: h}
	w := &warnings{}
	return h, st, w, newManager(t, Config{Store: st, Warn: w.warn}, limits)
}

// runWhileAway makes the store away and runs a one-step playbook n times,
// one after the other.
func runWhileAway(t *testing.T, m *Manager, st *awayStore, n int) []*Handle {
	t.Helper()
	noop := writePlaybook(t, "version: 1\nname: noop\nsteps:\n  - {id: a, op: control.noop}\n")
	st.away.Store(true)
	var out []*Handle
	for range n {
		run, err := m.Start(context.Background(), Request{Path: noop})
		if err != nil {
			t.Fatal(err)
		}
		wait(t, run)
		out = append(out, run)
	}
	return out
}

// waitSucceeded waits up to 10 s for the history to say that each run of
// ids succeeded.
func waitSucceeded(t *testing.T, h store.Store, ids []string, when string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for _, id := range ids {
		for {
			r, err := h.Get(context.Background(), id)
			if err == nil && r.Status == report.StatusSucceeded {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("run %s %s: %s, %v; want succeeded", id, when, r.Status, err)
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
}

// slowStore is a store whose RecordFinished waits while slow is set, as a
// shared database that is away and retried for a minute.
type slowStore struct {
	store.Store
	slow    atomic.Bool
	release chan struct{}
}

func (s *slowStore) RecordFinished(ctx context.Context, runs []history.Finished) error {
	if s.slow.Load() {
		<-s.release
	}
	return s.Store.RecordFinished(ctx, runs)
}

// TestExecuteDoesNotWaitForAStoreThatIsAway: an executed operation has run
// and answers within recordWait however long its record takes; the
// record is written once the store is back.
func TestExecuteDoesNotWaitForAStoreThatIsAway(t *testing.T) {
	old := recordWait
	recordWait = 200 * time.Millisecond
	t.Cleanup(func() { recordWait = old })
	h, err := history.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	st := &slowStore{Store: h, release: make(chan struct{})}
	st.slow.Store(true)
	m := newManager(t, Config{Store: st}, Limits{})
	start := time.Now()
	res, err := m.ExecuteOp(context.Background(), OpRequest{Op: "control.set", Params: map[string]any{"n": 1}})
	if err != nil || res.Status != report.StatusSucceeded {
		t.Fatalf("execute: %v, %v", res, err)
	}
	if took := time.Since(start); took > 5*time.Second {
		t.Errorf("the execute answered after %s, waiting for its record", took)
	}
	st.slow.Store(false)
	close(st.release)
	deadline := time.Now().Add(10 * time.Second)
	for {
		if run, err := h.Get(context.Background(), res.RunID); err == nil && run.Status == report.StatusSucceeded {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the execute was never recorded")
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestExecuteAnswersBeforeItsRecordAndReadsSettle: on a state dir, an
// executed operation answers without waiting for the commit of its
// history row (here held up by another connection's write lock), and a
// read of the history through the service waits for that commit, so the
// run id the caller got is found.
func TestExecuteAnswersBeforeItsRecordAndReadsSettle(t *testing.T) {
	dir := t.TempDir()
	h, err := history.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	m := newManager(t, Config{Store: h}, Limits{})
	ctx := context.Background()
	if _, err := m.ExecuteOp(ctx, OpRequest{Op: "control.noop"}); err != nil {
		t.Fatal(err)
	}
	// Its record written (a read settles it), so that the lock below is
	// taken while the writer is idle.
	if _, err := m.Service().History().List(ctx, history.Filter{}); err != nil {
		t.Fatal(err)
	}
	db, err := sql.Open("sqlite", "file:"+filepath.ToSlash(filepath.Join(dir, history.FileName)))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	conn, err := db.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, "BEGIN IMMEDIATE"); err != nil {
		t.Fatal(err)
	}
	locked := true
	unlock := func() {
		if locked {
			locked = false
			if _, err := conn.ExecContext(ctx, "ROLLBACK"); err != nil {
				t.Error(err)
			}
		}
	}
	defer unlock()

	start := time.Now()
	res, err := m.ExecuteOp(ctx, OpRequest{Op: "control.set", Params: map[string]any{"n": 1}})
	if err != nil || res.Status != report.StatusSucceeded {
		t.Fatalf("execute: %v, %v", res, err)
	}
	if took := time.Since(start); took > 2*time.Second {
		t.Errorf("the execute answered after %s, waiting for its record", took)
	}
	got := make(chan history.Run, 1)
	go func() {
		run, err := m.Service().History().Get(ctx, res.RunID)
		if err != nil {
			t.Errorf("Get after the record: %v", err)
		}
		got <- run
	}()
	select {
	case run := <-got:
		t.Fatalf("Get answered %+v while the record could not be written yet", run)
	case <-time.After(300 * time.Millisecond):
	}
	unlock()
	select {
	case run := <-got:
		if run.Status != report.StatusSucceeded {
			t.Errorf("recorded %s, want succeeded", run.Status)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("Get never answered")
	}
}
