package history

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/arsenal-run/arsenal-run/pkg/report"
)

var t0 = time.Date(2025, 3, 14, 9, 0, 0, 0, time.UTC)

func TestOpenCreatesDirAndPragmas(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "state", "nested")
	s, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, err := os.Stat(filepath.Join(dir, FileName)); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for pragma, want := range map[string]string{
		"journal_mode": "wal", "synchronous": "1", "foreign_keys": "1",
		"busy_timeout": fmt.Sprint(BusyTimeout.Milliseconds()), "user_version": fmt.Sprint(SchemaVersion),
	} {
		var got string
		if err := s.db.QueryRowContext(ctx, "PRAGMA "+pragma).Scan(&got); err != nil {
			t.Fatal(err)
		}
		if got != want {
			t.Errorf("PRAGMA %s = %s, want %s", pragma, got, want)
		}
	}
}

func TestRecordAndGet(t *testing.T) {
	s := openStore(t)
	ctx := context.Background()
	if err := s.RecordStart(ctx, Run{ID: "r1", Playbook: "restart-workers", Path: "/srv/pb/p.yaml", Roles: []string{"operator"}, StartedAt: t0}); err != nil {
		t.Fatal(err)
	}
	got, err := s.Get(ctx, "r1")
	if err != nil {
		t.Fatal(err)
	}
	want := Run{ID: "r1", Playbook: "restart-workers", Path: "/srv/pb/p.yaml", Roles: []string{"operator"}, Status: StatusRunning, StartedAt: t0, Trigger: TriggerCLI}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("after start (-want +got):\n%s", diff)
	}

	reportPath := filepath.Join(s.Reports(), "r1.json")
	mustRecord(t, s, sampleReport("r1", t0), reportPath)
	got, err = s.Get(ctx, "r1")
	if err != nil {
		t.Fatal(err)
	}
	want = Run{
		ID: "r1", Playbook: "restart-workers", Path: absPath("playbooks/restart-workers.yaml"), SHA256: "abc", Roles: []string{"operator"},
		Status: report.StatusFailed, StartedAt: t0, FinishedAt: ptr(t0.Add(time.Second)), DurationMS: 1000,
		Inputs:     map[string]any{"threshold": float64(90), "token": "***"},
		ReportPath: reportPath, Error: &report.Error{Class: "execution", Message: "step stop failed: item 1: not permitted"},
		Trigger: TriggerCLI,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("after finish (-want +got):\n%s", diff)
	}
	if _, err := s.Get(ctx, "nope"); err == nil {
		t.Error("Get of an unknown run succeeded")
	}
}

// TestStepRows checks which rows a report becomes and which are op calls.
func TestStepRows(t *testing.T) {
	type row struct {
		Step, Kind string
		Item       any
		Attempt    int
		Status     string
		Call       int
	}
	var got []row
	for _, r := range stepRows(sampleReport("r", t0)) {
		got = append(got, row{r[1].(string), r[3].(string), r[4], r[5].(int), r[7].(string), r[11].(int)})
	}
	want := []row{
		{"find", "step", nil, 1, "succeeded", 1},
		{"probe", "step", nil, 2, "succeeded", 0},
		{"probe", "attempt", nil, 1, "failed", 1},
		{"probe", "attempt", nil, 2, "succeeded", 1},
		{"stop", "step", nil, 4, "failed", 0},
		{"stop", "item", 0, 1, "succeeded", 1},
		{"stop", "item", 1, 2, "failed", 0},
		{"stop", "attempt", 1, 1, "failed", 1},
		{"stop", "attempt", 1, 2, "failed", 1},
		{"stop", "item", 2, 0, "cancelled", 0},
		{"verify", "step", nil, 0, "skipped", 0},
		{"page", "step", nil, 1, "succeeded", 1},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func TestRecordFinishReplacesLiveSteps(t *testing.T) {
	s := openStore(t)
	ctx := context.Background()
	if err := s.RecordStart(ctx, Run{ID: "r", Playbook: "p", StartedAt: t0}); err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		if err := s.RecordStep(ctx, "r", StepResult{StepID: fmt.Sprint(i), Op: "x.y", Item: -1, Attempts: 1, Status: report.StatusSucceeded, StartedAt: t0}); err != nil {
			t.Fatal(err)
		}
	}
	mustRecord(t, s, sampleReport("r", t0), "")
	var n int
	if err := s.db.QueryRowContext(ctx, "SELECT COUNT(*) FROM steps WHERE run_id = 'r'").Scan(&n); err != nil {
		t.Fatal(err)
	}
	if want := len(stepRows(sampleReport("r", t0))); n != want {
		t.Errorf("%d step rows, want the report's %d", n, want)
	}
}

func TestMarkInterruptedSparesLiveOwners(t *testing.T) {
	dir := t.TempDir()
	a, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	b, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	ctx := context.Background()
	if err := a.RecordStart(ctx, Run{ID: "live", Playbook: "p", StartedAt: t0}); err != nil {
		t.Fatal(err)
	}
	if err := a.RecordStep(ctx, "live", StepResult{StepID: "s", Op: "x.y", Item: -1, Attempts: 1, Status: report.StatusSucceeded, StartedAt: t0.Add(time.Second), DurationMS: 500}); err != nil {
		t.Fatal(err)
	}
	for _, s := range []*Store{a, b} {
		if n, err := s.MarkInterrupted(ctx); err != nil || n != 0 {
			t.Fatalf("MarkInterrupted with the owner open = %d, %v; want 0", n, err)
		}
	}
	a.Close() // the owner goes away without finishing the run
	n, err := b.MarkInterrupted(ctx)
	if err != nil || n != 1 {
		t.Fatalf("MarkInterrupted after the owner closed = %d, %v; want 1", n, err)
	}
	r, err := b.Get(ctx, "live")
	if err != nil {
		t.Fatal(err)
	}
	if r.Status != StatusInterrupted || r.FinishedAt == nil || !r.FinishedAt.Equal(t0.Add(1500*time.Millisecond)) || r.DurationMS != 1500 {
		t.Errorf("interrupted run = %+v; want finished at the end of its last step", r)
	}
	if _, err := os.Stat(filepath.Join(dir, ownersDir)); err != nil {
		t.Fatal(err)
	}
	if entries, _ := os.ReadDir(filepath.Join(dir, ownersDir)); len(entries) != 1 {
		t.Errorf("%d owner lock files, want only the open store's", len(entries))
	}
}

func TestConcurrentWriters(t *testing.T) {
	dir := t.TempDir()
	var wg sync.WaitGroup
	errs := make(chan error, 64)
	for w := range 3 {
		s, err := Open(dir)
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		wg.Go(func() {
			for i := range 15 {
				id := fmt.Sprintf("w%d-%d", w, i)
				if err := s.RecordStart(context.Background(), Run{ID: id, Playbook: "p"}); err != nil {
					errs <- err
					return
				}
				if err := s.RecordFinish(context.Background(), sampleReport(id, t0.Add(time.Duration(i)*time.Minute)), "", ""); err != nil {
					errs <- err
					return
				}
				if _, _, err := s.Stats(context.Background(), t0, time.Time{}); err != nil {
					errs <- err
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	check, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer check.Close()
	runs, err := check.List(context.Background(), Filter{Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	if len(runs) != 45 {
		t.Errorf("%d runs recorded, want 45", len(runs))
	}
}

func TestList(t *testing.T) {
	s := openStore(t)
	ctx := context.Background()
	for i := range 6 {
		r := sampleReport(fmt.Sprintf("r%d", i), t0.Add(time.Duration(i)*time.Hour))
		if i%2 == 1 {
			r.Playbook.Name, r.Status, r.Error = "other", report.StatusSucceeded, nil
		}
		mustRecord(t, s, r, "")
	}
	if err := s.RecordStart(ctx, Run{ID: "running", Playbook: "other", StartedAt: t0.Add(10 * time.Hour), Trigger: "api"}); err != nil {
		t.Fatal(err)
	}
	ids := func(f Filter) []string {
		runs, err := s.List(ctx, f)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, r := range runs {
			out = append(out, r.ID)
		}
		return out
	}
	for _, tc := range []struct {
		name string
		f    Filter
		want []string
	}{
		{"all, newest first", Filter{}, []string{"running", "r5", "r4", "r3", "r2", "r1", "r0"}},
		{"playbook", Filter{Playbook: "other"}, []string{"running", "r5", "r3", "r1"}},
		{"status", Filter{Status: report.StatusFailed}, []string{"r4", "r2", "r0"}},
		{"since", Filter{Since: t0.Add(4 * time.Hour)}, []string{"running", "r5", "r4"}},
		{"limit", Filter{Limit: 2}, []string{"running", "r5"}},
		{"all filters", Filter{Playbook: "other", Status: report.StatusSucceeded, Since: t0.Add(2 * time.Hour), Limit: 1}, []string{"r5"}},
		{"status running", Filter{Status: StatusRunning}, []string{"running"}},
		{"before", Filter{Before: t0.Add(4 * time.Hour), Limit: 2}, []string{"r3", "r2"}},
		{"trigger", Filter{Trigger: "api"}, []string{"running"}},
	} {
		if diff := cmp.Diff(tc.want, ids(tc.f)); diff != "" {
			t.Errorf("%s (-want +got):\n%s", tc.name, diff)
		}
	}
}

func TestPrune(t *testing.T) {
	s := openStore(t)
	s.now = func() time.Time { return t0.Add(30 * 24 * time.Hour) }
	ctx := context.Background()
	// Playbook a: a run every 5 days from day 0 to day 25; playbook b: two
	// runs on day 28 and 29; one run of a still running from day 1.
	writeReport := func(id string) string {
		p := filepath.Join(s.Reports(), id+".json")
		if err := os.WriteFile(p, []byte("{}"), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	for i := range 6 {
		id := fmt.Sprintf("a%d", i)
		mustRecord(t, s, sampleReport(id, t0.Add(time.Duration(i)*5*24*time.Hour)), writeReport(id))
	}
	for i, day := range []int{28, 29} {
		r := sampleReport(fmt.Sprintf("b%d", i), t0.Add(time.Duration(day)*24*time.Hour))
		r.Playbook.Name = "b"
		mustRecord(t, s, r, "")
	}
	if err := s.RecordStart(ctx, Run{ID: "a-running", Playbook: "restart-workers", StartedAt: t0.Add(24 * time.Hour)}); err != nil {
		t.Fatal(err)
	}

	if paths, err := s.Prune(ctx, 0, 0); err != nil || paths != nil {
		t.Fatalf("Prune(0, 0) = %v, %v; want nothing", paths, err)
	}
	paths, err := s.Prune(ctx, 4, 0)
	if err != nil {
		t.Fatal(err)
	}
	inReports := func(names ...string) []string {
		for i, n := range names {
			names[i] = filepath.Join(s.Reports(), n)
		}
		return names
	}
	if diff := cmp.Diff(inReports("a0.json", "a1.json"), sorted(paths)); diff != "" {
		t.Errorf("keep 4 runs: removed (-want +got):\n%s", diff)
	}
	paths, err = s.Prune(ctx, 0, 12) // older than day 18
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(inReports("a2.json", "a3.json"), sorted(paths)); diff != "" {
		t.Errorf("keep 12 days: removed (-want +got):\n%s", diff)
	}
	runs, err := s.List(ctx, Filter{})
	if err != nil {
		t.Fatal(err)
	}
	var left []string
	for _, r := range runs {
		left = append(left, r.ID)
	}
	if diff := cmp.Diff([]string{"b1", "b0", "a5", "a4", "a-running"}, left); diff != "" {
		t.Errorf("runs left (-want +got):\n%s", diff)
	}
	var files []string
	entries, _ := os.ReadDir(s.Reports())
	for _, e := range entries {
		files = append(files, e.Name())
	}
	if diff := cmp.Diff([]string{"a4.json", "a5.json"}, files); diff != "" {
		t.Errorf("report files left (-want +got):\n%s", diff)
	}
	var orphans int
	if err := s.db.QueryRowContext(ctx, "SELECT COUNT(*) FROM steps WHERE run_id NOT IN (SELECT id FROM runs)").Scan(&orphans); err != nil {
		t.Fatal(err)
	}
	if orphans != 0 {
		t.Errorf("%d step rows of pruned runs are left", orphans)
	}
}

func sorted(s []string) []string { slices.Sort(s); return s }

func TestStatsOfSample(t *testing.T) {
	s := openStore(t)
	mustRecord(t, s, sampleReport("r", t0), "")
	ops, pbs, err := s.Stats(context.Background(), t0.Add(-time.Hour), time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	wantOps := []OpStats{
		{Op: "control.log", Count: 1, P50MS: 1, P95MS: 1, P99MS: 1},
		{Op: "http.request", Count: 2, Errors: 1, ErrorRate: 0.5, P50MS: 100, P95MS: 100, P99MS: 100},
		{Op: "process.list", Count: 1, P50MS: 10, P95MS: 10, P99MS: 10},
		{Op: "process.signal", Count: 3, Errors: 2, ErrorRate: 2.0 / 3, P50MS: 20, P95MS: 50, P99MS: 50},
	}
	if diff := cmp.Diff(wantOps, ops); diff != "" {
		t.Errorf("ops (-want +got):\n%s", diff)
	}
	wantPbs := []PlaybookStats{{Playbook: "restart-workers", Count: 1, Errors: 1, ErrorRate: 1, Timed: 1, P50MS: 1000, P95MS: 1000, P99MS: 1000}}
	if diff := cmp.Diff(wantPbs, pbs); diff != "" {
		t.Errorf("playbooks (-want +got):\n%s", diff)
	}
	ops, pbs, err = s.Stats(context.Background(), t0.Add(time.Hour), time.Time{})
	if err != nil || len(ops) != 0 || len(pbs) != 0 {
		t.Errorf("Stats after the run = %v, %v, %v; want nothing", ops, pbs, err)
	}
}

// TestStatsPercentiles compares Stats with a direct nearest-rank
// computation on random durations, with a time cut in the middle.
func TestStatsPercentiles(t *testing.T) {
	s := openStore(t)
	rng := rand.New(rand.NewPCG(7, 7))
	durations := map[string][]int64{}
	errors := map[string]int64{}
	since := t0.Add(50 * time.Minute)
	for i := range 120 {
		r := &report.Report{ReportVersion: report.FormatVersion, RunID: fmt.Sprint(i), Playbook: report.Playbook{Name: "p"},
			Status: report.StatusSucceeded, StartedAt: t0.Add(time.Duration(i) * time.Minute)}
		for j := range 5 {
			op := []string{"a.x", "b.y", "c.z"}[rng.IntN(3)]
			d := rng.Int64N(5000)
			st, e := report.StatusSucceeded, (*report.Error)(nil)
			if rng.IntN(10) == 0 {
				st, e = report.StatusFailed, &report.Error{Class: "execution", Message: "x"}
			}
			start := r.StartedAt.Add(time.Duration(j) * time.Second)
			r.Steps = append(r.Steps, report.Step{ID: fmt.Sprint("s", j), Op: op, Section: "steps", Status: st, Error: e, StartedAt: &start, DurationMS: d, Attempts: 1})
			if !start.Before(since) {
				durations[op] = append(durations[op], d)
				if e != nil {
					errors[op]++
				}
			}
		}
		mustRecord(t, s, r, "")
	}
	ops, _, err := s.Stats(context.Background(), since, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	var want []OpStats
	for _, op := range []string{"a.x", "b.y", "c.z"} {
		d := durations[op]
		slices.Sort(d)
		rank := func(p int) int64 {
			k := (len(d)*p + 99) / 100
			return d[k-1]
		}
		n := int64(len(d))
		want = append(want, OpStats{Op: op, Count: n, Errors: errors[op], ErrorRate: float64(errors[op]) / float64(n), P50MS: rank(50), P95MS: rank(95), P99MS: rank(99)})
	}
	if diff := cmp.Diff(want, ops); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

// TestStatsUsesCoveringIndex guards the query plan the 1M-row benchmark
// depends on: a range search of steps_stats that never reads the table;
// and for runs a range search of runs_stats, whose failed runs alone are
// looked up in steps by steps_run (did any step start).
func TestStatsUsesCoveringIndex(t *testing.T) {
	s := openStore(t)
	for q, want := range map[string]string{opStatsQuery: "USING COVERING INDEX steps_stats (started_at>? AND started_at<?)", playbookStatsQuery: "USING INDEX runs_stats (started_at>? AND started_at<?)"} {
		rows, err := s.db.Query("EXPLAIN QUERY PLAN "+q, 0, UntilMS(time.Time{}))
		if err != nil {
			t.Fatal(err)
		}
		var plan []string
		for rows.Next() {
			var id, parent, unused int
			var detail string
			if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
				t.Fatal(err)
			}
			plan = append(plan, detail)
		}
		rows.Close()
		if q == playbookStatsQuery && len(plan) == 3 && strings.Contains(plan[2], "USING INDEX steps_run (run_id=?)") {
			plan = plan[:1]
		}
		if len(plan) != 1 || !strings.Contains(plan[0], want) {
			t.Errorf("plan %q, want one step %q", plan, want)
		}
	}
}

// TestPruneHugeKeepDays: an age limit past any run's age keeps every run
// and report; it once overflowed a Duration into a cutoff in the future
// and deleted the whole history.
func TestPruneHugeKeepDays(t *testing.T) {
	s := openStore(t)
	s.now = func() time.Time { return t0.Add(time.Hour) }
	own := filepath.Join(s.Reports(), "kept.json")
	if err := os.WriteFile(own, []byte("{}"), 0o644); err != nil {
		t.Fatal(err)
	}
	mustRecord(t, s, sampleReport("kept", t0), own)
	for _, days := range []int{106752, 200000, 1_000_000, 1_000_001, math.MaxInt} {
		removed, err := s.Prune(context.Background(), 0, days)
		if err != nil || removed != nil {
			t.Fatalf("Prune(0, %d) = %v, %v; want nothing removed", days, removed, err)
		}
	}
	runs, err := s.List(context.Background(), Filter{})
	if err != nil || len(runs) != 1 {
		t.Fatalf("runs left %v, %v; want the one run", runs, err)
	}
	if _, err := os.Stat(own); err != nil {
		t.Errorf("report: %v", err)
	}
}

func TestKeepDaysCutoff(t *testing.T) {
	for days, want := range map[int]time.Time{1: t0.AddDate(0, 0, -1), 106752: t0.AddDate(0, 0, -106752)} {
		if got, ok := KeepDaysCutoff(t0, days); !ok || !got.Equal(want) || !got.Before(t0) {
			t.Errorf("KeepDaysCutoff(%d) = %v, %v; want %v", days, got, ok, want)
		}
	}
	for _, days := range []int{-1, 0, 1_000_001, math.MaxInt} {
		if got, ok := KeepDaysCutoff(t0, days); ok {
			t.Errorf("KeepDaysCutoff(%d) = %v; want no cutoff", days, got)
		}
	}
}

// TestPruneDeletesOnlyReportsInItsFolder: the report paths in the database
// are data; retention deletes only regular files inside the state dir's
// reports folder, however a path tries to lead elsewhere.
func TestPruneDeletesOnlyReportsInItsFolder(t *testing.T) {
	s := openStore(t)
	s.now = func() time.Time { return t0.Add(100 * 24 * time.Hour) }
	outside := t.TempDir()
	victim := func(name string) string {
		p := filepath.Join(outside, name)
		if err := os.WriteFile(p, []byte("precious"), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	own := filepath.Join(s.Reports(), "own.json")
	os.WriteFile(own, []byte("{}"), 0o644)
	linkTarget := victim("linked.txt")
	if err := os.Symlink(linkTarget, filepath.Join(s.Reports(), "link.json")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(outside, filepath.Join(s.Reports(), "dirlink")); err != nil {
		t.Fatal(err)
	}
	cwdFile := "prune-victim-in-cwd.txt"
	if err := os.WriteFile(cwdFile, []byte("precious"), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.Remove(cwdFile) })
	paths := map[string]string{
		"own":       own,
		"absolute":  victim("absolute.txt"),
		"dotdot":    filepath.Join(s.Reports(), "..", "..", filepath.Base(outside), "absolute.txt"),
		"through":   filepath.Join(s.Reports(), "dirlink", victim("through.txt")[len(outside)+1:]),
		"link":      filepath.Join(s.Reports(), "link.json"),
		"relative":  cwdFile,
		"directory": s.Reports(),
	}
	for id, p := range paths {
		mustRecord(t, s, sampleReport(id, t0), p)
	}
	removed, err := s.Prune(context.Background(), 0, 1)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{own}, removed); diff != "" {
		t.Errorf("removed (-want +got):\n%s", diff)
	}
	for _, p := range []string{paths["absolute"], filepath.Join(outside, "through.txt"), linkTarget, cwdFile} {
		if data, err := os.ReadFile(p); err != nil || string(data) != "precious" {
			t.Errorf("%s was touched: %q, %v", p, data, err)
		}
	}
	if _, err := os.Lstat(filepath.Join(s.Reports(), "link.json")); err != nil {
		t.Errorf("the symlink in the reports folder was removed: %v", err)
	}
	if _, err := os.Stat(s.Reports()); err != nil {
		t.Errorf("the reports folder itself: %v", err)
	}
}

// TestReportPathsAreStoredAbsolute: a relative report path means nothing
// to a process started elsewhere.
func TestReportPathsAreStoredAbsolute(t *testing.T) {
	s := openStore(t)
	ctx := context.Background()
	if err := s.RecordStart(ctx, Run{ID: "r1", Playbook: "p", ReportPath: "state/reports/r1.json"}); err != nil {
		t.Fatal(err)
	}
	mustRecord(t, s, sampleReport("r2", t0), "state/reports/r2.json")
	wd, _ := os.Getwd()
	for _, id := range []string{"r1", "r2"} {
		run, err := s.Get(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		if want := filepath.Join(wd, "state", "reports", id+".json"); run.ReportPath != want {
			t.Errorf("%s: report path %q, want %q", id, run.ReportPath, want)
		}
	}
}

// Rows go in statements of many rows; they keep the report's order, live
// or final, past a statement's 256 rows.
func TestManyStepRowsKeepTheirOrder(t *testing.T) {
	s := openStore(t)
	ctx := context.Background()
	if err := s.RecordStart(ctx, Run{ID: "r", Playbook: "p", StartedAt: t0}); err != nil {
		t.Fatal(err)
	}
	live := make([]StepResult, 300)
	for i := range live {
		live[i] = StepResult{StepID: "fan", Op: "x.y", Item: i, Attempts: 1, Status: report.StatusSucceeded, StartedAt: t0}
	}
	if err := s.RecordSteps(ctx, "r", live); err != nil {
		t.Fatal(err)
	}
	check := func(when string, want int) {
		t.Helper()
		rows, err := s.Steps(ctx, "r")
		if err != nil {
			t.Fatal(err)
		}
		items := 0
		for _, r := range rows {
			if r.Kind != "item" {
				continue
			}
			if r.Item == nil || *r.Item != items {
				t.Fatalf("%s: row %d is item %v, want %d", when, items, r.Item, items)
			}
			items++
		}
		if items != want {
			t.Errorf("%s: %d item rows, want %d", when, items, want)
		}
	}
	check("live", 300)
	r := &report.Report{ReportVersion: report.FormatVersion, RunID: "r", Playbook: report.Playbook{Name: "p"}, Status: report.StatusSucceeded,
		StartedAt: t0, FinishedAt: t0.Add(time.Second)}
	st := report.Step{ID: "fan", Op: "x.y", Section: "steps", Status: report.StatusSucceeded, StartedAt: &t0, Attempts: 1}
	for i := range 517 {
		st.Items = append(st.Items, report.Item{Index: i, Item: i, Status: report.StatusSucceeded, StartedAt: &t0, Attempts: 1})
	}
	r.Steps = []report.Step{st}
	mustRecord(t, s, r, "")
	check("final", 517)
}

// TestOpenOnAReadOnlyStateDirSaysWhatToDo: root writes through file modes,
// so the errors of a read-only mount and of another user's directory are
// given as the system gives them.
func TestOpenOnAReadOnlyStateDirSaysWhatToDo(t *testing.T) {
	for _, cause := range []error{syscall.EROFS, syscall.EACCES} {
		err := openLockError(&os.PathError{Op: "open", Path: "/st/history.lock", Err: cause})
		if !errors.Is(err, cause) || !strings.Contains(err.Error(), "/st/history.lock") || !strings.Contains(err.Error(), "copy this one to a writable place") {
			t.Errorf("%v: %v", cause, err)
		}
	}
	if err := openLockError(errors.New("lock x: another process held it for 30s")); strings.Contains(err.Error(), "copy") {
		t.Errorf("a held lock is not a read-only state dir: %v", err)
	}
}

// TestStateDirIsItsUsersAlone: a new state dir and its reports dir are
// 0700: the reports, history and cache hold what runs read with their
// rights. Before, they were 0755 and any local user read a report of a
// file only root could read.
func TestStateDirIsItsUsersAlone(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "state")
	s, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	for _, d := range []string{dir, filepath.Join(dir, ReportsDir)} {
		fi, err := os.Stat(d)
		if err != nil || fi.Mode().Perm() != 0o700 {
			t.Errorf("%s: %v %v, want 0700", d, fi.Mode().Perm(), err)
		}
	}
}
