package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/rs/zerolog"

	"github.com/arsenal-run/arsenal-run/internal/pgtest"
	"github.com/arsenal-run/arsenal-run/pkg/history"
	"github.com/arsenal-run/arsenal-run/pkg/report"
	"github.com/arsenal-run/arsenal-run/pkg/runs"
	"github.com/arsenal-run/arsenal-run/pkg/scheduler"
	"github.com/arsenal-run/arsenal-run/pkg/steps"
	"github.com/arsenal-run/arsenal-run/pkg/store/postgres"
)

// TestScheduleKeepsItsLockAcrossADatabaseRestart: PostgreSQL drops the
// scheduler lock of `schedule --state URL` with its connection when the
// database restarts. The scheduler takes it back once the database is
// up, so that a second `schedule` started then is refused, naming the
// first, and its slots fire again. It restarts a PostgreSQL server of its
// own, whose locks are all its scheduler's, so it runs beside other tests.
func TestScheduleKeepsItsLockAcrossADatabaseRestart(t *testing.T) {
	t.Parallel()
	pg := pgtest.Private(t)
	dsn := pg.NewDatabase(t)
	jobs := t.TempDir()
	writePlaybook(t, jobs, "tick.yaml", everySecond)
	p := start(t, "scheduler started", "schedule", jobs, "--state", dsn, "--listen", "127.0.0.1:0",
		"--grace", "1s", "--log-format", "json")
	defer func() {
		if p.cmd.ProcessState == nil {
			p.cmd.Process.Kill()
			<-p.done
		}
	}()
	base := "http://" + logField(t, p.stderr.String(), "serving /healthz and /metrics", "addr")
	ticks := func() float64 {
		return metric(t, base, `arsenal_schedule_runs_total{playbook="tick",status="succeeded"}`)
	}
	waitFor(t, "a run of tick", func() bool { return ticks() >= 1 })

	if err := pg.Restart(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(20 * time.Second)
	for !schedulerLockHeld(t, dsn) {
		if time.Now().After(deadline) {
			t.Fatalf("no scheduler holds the lock 20 s after the database restarted:\n%s", p.stderr.String())
		}
		time.Sleep(100 * time.Millisecond)
	}
	for _, want := range []string{"lost the scheduler lock", "holds the scheduler lock again"} {
		if !strings.Contains(p.stderr.String(), want) {
			t.Errorf("the scheduler does not say %q:\n%s", want, p.stderr.String())
		}
	}

	second := exec.Command(binary(t), "schedule", jobs, "--state", dsn)
	var out syncBuffer
	second.Stdout, second.Stderr = &out, &out
	if err := second.Start(); err != nil {
		t.Fatal(err)
	}
	ended := make(chan error, 1)
	go func() { ended <- second.Wait() }()
	select {
	case <-ended:
	case <-time.After(20 * time.Second):
		second.Process.Kill()
		<-ended
		t.Fatalf("a second scheduler was accepted after the database restarted:\n%s", out.String())
	}
	if code := second.ProcessState.ExitCode(); code != ExitUsage {
		t.Errorf("a second scheduler after the restart: exit %d, want %d\n%s", code, ExitUsage, out.String())
	}
	if want := fmt.Sprintf("pid %d) is running on", p.cmd.Process.Pid); !strings.Contains(out.String(), want) {
		t.Errorf("the second scheduler says:\n%s\nwant it to name the first: %q", out.String(), want)
	}

	after := ticks()
	waitFor(t, "tick to fire again after the restart", func() bool { return ticks() >= after+2 })
	p.cmd.Process.Signal(syscall.SIGTERM)
	if code := p.wait(t); code != ExitOK {
		t.Errorf("exit %d after SIGTERM, want 0\n%s", code, p.stderr.String())
	}
}

// schedulerLockHeld reports whether a session holds an advisory lock
// in the database at dsn (the scheduler's is the only one that lasts);
// the database being away is "no".
func schedulerLockHeld(t *testing.T, dsn string) bool {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		return false
	}
	defer conn.Close(ctx)
	var n int
	err = conn.QueryRow(ctx, `SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted
		AND database = (SELECT oid FROM pg_database WHERE datname = current_database())`).Scan(&n)
	return err == nil && n > 0
}

// TestLostSchedulerLockFencesTheSlots: once the lock's connection is
// ended (as a restart, a failover or a network cut ends it), the
// scheduler's store claims no slot and reads no pause (so no queued slot
// starts) until the lock is this process's again; while another
// scheduler holds it, the refusal names that one; once it is free again,
// the check takes it back and the slots are claimed.
func TestLostSchedulerLockFencesTheSlots(t *testing.T) {
	dsn := pgtest.DSN(t)
	ctx := context.Background()
	l, err := lockDatabase(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Unlock()
	st := &slotCounter{}
	f := l.fence(st)
	claim := func() error {
		_, err := f.ClaimSlots(ctx, []history.Slot{{Playbook: "tick"}})
		return err
	}
	if err := claim(); err != nil || st.claims != 1 {
		t.Fatalf("claim with the lock held: %v, %d claims; want the store's", err, st.claims)
	}

	terminateScheduler(t, dsn)
	var rival *postgres.SchedulerLock
	waitFor(t, "the lock to be free for another scheduler", func() bool {
		rival, err = postgres.LockScheduler(ctx, dsn)
		return err == nil
	})
	defer rival.Unlock()
	var lost *LostError
	if err := claim(); !errors.As(err, &lost) || st.claims != 1 {
		t.Errorf("claim after the lock's connection ended: %v, %d claims; want a *LostError, and no claim", err, st.claims)
	}
	if _, err := f.Pauses(ctx); !errors.As(err, &lost) || st.pauses != 0 {
		t.Errorf("pauses after the lock's connection ended: %v, %d reads; want a *LostError, and no read", err, st.pauses)
	}
	if wait := l.check(ctx); wait != lockRetry {
		t.Errorf("check while another scheduler holds the lock: next in %s, want %s", wait, lockRetry)
	}
	host, _ := os.Hostname()
	if err := claim(); err == nil || !strings.Contains(err.Error(), fmt.Sprintf("another scheduler (arsenal-run scheduler %s pid %d) took it meanwhile", host, os.Getpid())) {
		t.Errorf("claim while another scheduler holds the lock: %v; want it named", err)
	}

	rival.Unlock()
	if wait := l.check(ctx); wait != lockCheck {
		t.Errorf("check once the lock is free: next in %s, want %s", wait, lockCheck)
	}
	if err := claim(); err != nil || st.claims != 2 {
		t.Errorf("claim with the lock taken again: %v, %d claims; want the store's", err, st.claims)
	}
	l.Unlock()
	if err := claim(); !errors.As(err, &lost) {
		t.Errorf("claim after Unlock: %v, want a *LostError", err)
	}
}

// terminateScheduler ends the session that holds the scheduler lock of
// the database at dsn, as a database restart would.
func terminateScheduler(t *testing.T, dsn string) {
	t.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	var n int
	if err := conn.QueryRow(ctx, `SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity
		WHERE datname = current_database() AND application_name LIKE 'arsenal-run scheduler %'`).Scan(&n); err != nil || n != 1 {
		t.Fatalf("terminate the scheduler's session: %d sessions, %v", n, err)
	}
}

// slotCounter is a scheduler store that counts the claims and the reads
// of pauses that reach it.
type slotCounter struct {
	mu             sync.Mutex
	claims, pauses int
}

func (s *slotCounter) TrackSchedules(context.Context, time.Time, []history.ScheduleRef) (map[string]history.Cursor, error) {
	return nil, nil
}

func (s *slotCounter) ClaimSlots(_ context.Context, slots []history.Slot) ([]bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.claims++
	return make([]bool, len(slots)), nil
}

func (s *slotCounter) SettleSlot(context.Context, history.Slot) error { return nil }

func (s *slotCounter) PruneSlots(context.Context, time.Time) (int64, error) { return 0, nil }

func (s *slotCounter) Pauses(context.Context) (map[string]history.Pause, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.pauses++
	return nil, nil
}

// fakeFence is a store's self-fencing that the test brings down.
type fakeFence struct{ down chan struct{} }

func (f *fakeFence) Fence() <-chan struct{}      { return f.down }
func (f *fakeFence) FenceError() error           { return errors.New("stopped: the fence is down") }
func (f *fakeFence) Renew(context.Context) error { return errors.New("still away") }

// TestFencedStoreStopsTheScheduledRunsOfAGroup: when the shared store
// fences itself (it could not reach the database for half its lease), a
// scheduled run that holds a concurrency group is cancelled with the
// store's reason, before the others free its group; a run of a playbook
// without one goes on.
func TestFencedStoreStopsTheScheduledRunsOfAGroup(t *testing.T) {
	dir := t.TempDir()
	reg, err := NewRegistry()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { reg.Close() })
	svc, err := runs.NewService(runs.Config{Registry: reg, StateDir: filepath.Join(dir, "state")})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { svc.Close() })
	mgr := runs.NewManager(svc, runs.Limits{})
	load := func(name, extra string) *steps.Playbook {
		path := writePlaybook(t, dir, name+".yaml", "version: 1\nname: "+name+"\n"+extra+
			"steps:\n  - {id: nap, op: control.sleep, with: {duration: 1h}}\n")
		pb, err := steps.Load(path, reg)
		if err != nil {
			t.Fatal(err)
		}
		return pb
	}
	grouped, alone := load("grouped", "concurrency: {group: g}\n"), load("alone", "")
	fence := &fakeFence{down: make(chan struct{})}
	f := &runFence{st: fence}
	start := func(pb *steps.Playbook) *runs.Handle {
		h, err := mgr.Start(context.Background(), runs.Request{Playbook: pb,
			Caller: runs.Caller{Roles: []string{"admin"}, Name: scheduler.CallerName, Trigger: runs.TriggerSchedule}})
		if err != nil {
			t.Fatal(err)
		}
		f.watch(pb, h)
		return h
	}
	g, a := start(grouped), start(alone)
	waitFor(t, "both runs to start", func() bool {
		return g.Status() == string(runs.StateRunning) && a.Status() == string(runs.StateRunning)
	})
	close(fence.down)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	rep, err := g.Wait(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Status != report.StatusCancelled || rep.Error == nil || rep.Error.Message != "stopped: the fence is down" {
		t.Errorf("the run of the group once the store fenced itself: %s, %+v; want cancelled with the store's reason", rep.Status, rep.Error)
	}
	time.Sleep(200 * time.Millisecond)
	if st := a.Status(); st != string(runs.StateRunning) {
		t.Errorf("the run without a group once the store fenced itself: %s, want running", st)
	}
	a.Cancel(errors.New("the test ends the run"))
	mgr.Shutdown(ctx)
	f.wait()
}

// TestRetakingTheSchedulerLockWaitsInTheLog: while the lock is lost and
// the database does not answer, each try to take it again waits; that
// wait is a line of the scheduler's log, with its level and fields, not
// a bare line on stderr outside the log (which a JSON log shipper would
// take for garbage).
func TestRetakingTheSchedulerLockWaitsInTheLog(t *testing.T) {
	addr, _ := pgtest.Silent(t) // takes connections, and never answers

	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	stderr := os.Stderr
	os.Stderr = w
	defer func() { os.Stderr = stderr }()

	var log syncBuffer
	url := "postgres://u@" + addr + "/db?sslmode=disable"
	l := &dbLock{url: url, name: postgres.Mask(url), why: errors.New("its connection broke"),
		log: zerolog.New(&log).Level(zerolog.DebugLevel), tryFor: 3 * time.Second}
	if wait := l.check(context.Background()); wait != lockCheck {
		t.Errorf("check of a database that does not answer: next in %s, want %s", wait, lockCheck)
	}
	os.Stderr = stderr
	w.Close()
	bare, _ := io.ReadAll(r)
	if len(bare) > 0 {
		t.Errorf("bare lines on stderr, outside the log:\n%s", bare)
	}
	if !strings.Contains(log.String(), `"message":"taking the scheduler lock again: waiting for the PostgreSQL server at `+addr) {
		t.Errorf("the wait is not in the log:\n%s", log.String())
	}
}
