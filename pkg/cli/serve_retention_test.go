package cli

import (
	"context"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/arsenal-run/arsenal-run/pkg/history"
)

// countingPruner reports each Prune call on calls and answers it with
// what the test sends on answers.
type countingPruner struct {
	calls   chan [2]int
	answers chan error
}

func (p *countingPruner) Prune(ctx context.Context, keepRuns, keepDays int) ([]string, error) {
	p.calls <- [2]int{keepRuns, keepDays}
	select {
	case err := <-p.answers:
		return []string{"r.json"}, err
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// TestSweepHistory: the sweep prunes once at start, without a tick, then
// once per tick, with the limits it was given; a failed sweep is reported
// and the next tick tries again; stop cuts short a sweep in progress and
// returns once it is over, reporting nothing for it.
func TestSweepHistory(t *testing.T) {
	p := &countingPruner{calls: make(chan [2]int), answers: make(chan error)}
	ticks := make(chan time.Time)
	type outcome struct {
		first bool
		n     int
		err   error
	}
	outcomes := make(chan outcome, 10)
	stop := sweepHistory(p, 3, 7, ticks, func(first bool, removed []string, err error) {
		outcomes <- outcome{first, len(removed), err}
	})
	if got := <-p.calls; got != [2]int{3, 7} {
		t.Errorf("Prune(%d, %d); want Prune(3, 7)", got[0], got[1])
	}
	p.answers <- nil
	if o := <-outcomes; !o.first || o.n != 1 || o.err != nil {
		t.Errorf("the sweep at start reported %+v", o)
	}
	ticks <- time.Time{}
	<-p.calls
	p.answers <- errors.New("database is locked")
	if o := <-outcomes; o.first || o.err == nil {
		t.Errorf("a failed sweep reported %+v", o)
	}
	ticks <- time.Time{}
	<-p.calls
	p.answers <- nil
	if o := <-outcomes; o.first || o.err != nil {
		t.Errorf("the sweep after a failed one reported %+v", o)
	}
	ticks <- time.Time{}
	<-p.calls // a sweep in progress, which stop cuts short
	stop()
	select {
	case o := <-outcomes:
		t.Errorf("a sweep cut short by stop reported %+v", o)
	default:
	}
}

// historyIDs lists the runs of playbook pb in the state dir's history,
// newest first.
func historyIDs(t *testing.T, state, pb string) []string {
	t.Helper()
	s, err := history.Open(state)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	runs, err := s.List(context.Background(), history.Filter{Playbook: pb, Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, r := range runs {
		ids = append(ids, r.ID)
	}
	return ids
}

// TestServeKeepRuns: serve --keep-runs prunes the operations executed
// through the API (runs of the playbook execute-OP) at start, and prunes
// playbook runs started through the API as they end, with their reports.
func TestServeKeepRuns(t *testing.T) {
	f := newServeFixture(t)
	p, base := f.serve(t)
	for range 4 {
		if code, body := apiCall(t, http.MethodPost, base+"/api/v1/operations/control.noop/execute", f.admin, map[string]any{"params": map[string]any{}}); code != http.StatusOK {
			t.Fatalf("execute: %d %v", code, body)
		}
	}
	var hello []string
	for range 3 {
		code, body := apiCall(t, http.MethodPost, base+"/api/v1/playbooks/hello/runs?wait=30s", f.admin, map[string]any{})
		if code != http.StatusOK {
			t.Fatalf("run hello: %d %v", code, body)
		}
		hello = append(hello, body["run_id"].(string))
	}
	p.cmd.Process.Signal(syscall.SIGTERM)
	if code := p.wait(t); code != ExitOK {
		t.Fatalf("exit %d:\n%s", code, p.stderr.String())
	}
	executes := historyIDs(t, f.state, "execute-control-noop")
	if len(executes) != 4 || len(historyIDs(t, f.state, "hello")) != 3 {
		t.Fatalf("without --keep-runs: %d executes and %v runs of hello; want 4 and 3", len(executes), historyIDs(t, f.state, "hello"))
	}

	p, base = f.serve(t, "--keep-runs", "2")
	p.waitFor(t, "pruned the history at start (--keep-runs 2, --keep-days 0)")
	if got := historyIDs(t, f.state, "execute-control-noop"); strings.Join(got, " ") != strings.Join(executes[:2], " ") {
		t.Errorf("executes after the sweep at start: %v; want the newest two of %v", got, executes)
	}
	code, body := apiCall(t, http.MethodPost, base+"/api/v1/playbooks/hello/runs?wait=30s", f.admin, map[string]any{})
	if code != http.StatusOK {
		t.Fatalf("run hello: %d %v", code, body)
	}
	newest := body["run_id"].(string)
	p.cmd.Process.Signal(syscall.SIGTERM)
	if code := p.wait(t); code != ExitOK {
		t.Fatalf("exit %d:\n%s", code, p.stderr.String())
	}
	want := newest + " " + hello[2]
	if got := historyIDs(t, f.state, "hello"); strings.Join(got, " ") != want {
		t.Errorf("runs of hello after one more run under --keep-runs 2: %v; want %s", got, want)
	}
	for _, id := range hello[:2] {
		if m, _ := filepath.Glob(filepath.Join(f.state, history.ReportsDir, "*"+id+"*")); len(m) > 0 {
			t.Errorf("the report of pruned run %s is left: %v", id, m)
		}
	}
	if m, _ := filepath.Glob(filepath.Join(f.state, history.ReportsDir, "*"+newest+"*")); len(m) == 0 {
		entries, _ := os.ReadDir(filepath.Join(f.state, history.ReportsDir))
		t.Errorf("no report of the kept run %s among %v", newest, entries)
	}
}

// TestServeKeepRunsNegative: a negative limit is a usage error naming the
// flags, as for run and schedule.
func TestServeKeepRunsNegative(t *testing.T) {
	f := newServeFixture(t)
	res := runMain(t, "serve", "--keys", f.keys, "--state-dir", f.state, "--keep-runs", "-1")
	if res.code != ExitUsage || !strings.Contains(res.stderr, "--keep-runs must be 0 (keep every run) or more, not -1\n") {
		t.Errorf("exit %d, stderr %q", res.code, res.stderr)
	}
}
