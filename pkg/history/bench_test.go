package history

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/arsenal-run/arsenal-run/pkg/report"
)

// The 1M-row database is built once per test binary, in a temp dir removed
// by TestMain, and shared by every run of the benchmark function (the
// testing package calls it several times with growing b.N).
var bench struct {
	once sync.Once
	dir  string
	now  time.Time
	err  error
}

// benchDir is set by TestMain; benchmarks put their databases under it.
var benchDir string

const (
	benchSteps       = 1_000_000
	benchStepsPerRun = 10
	// benchSpan is the time the rows are spread over. A week puts about
	// 143,000 step rows in the last 24 hours, far busier than a scheduler
	// running a ten-step playbook every minute (14,400 a day).
	benchSpan = 7 * 24 * time.Hour
)

var benchOps = []string{
	"shell.exec", "http.request", "process.list", "process.signal", "file.read", "file.write",
	"system.disk", "system.memory", "net.tcp_check", "net.dns_lookup", "control.log", "cluster.health",
}

// buildBenchDB writes benchSteps step rows and their runs in one
// transaction through prepared statements that insert a run and all its
// steps at once. The step indexes are dropped for the load and built again
// after it: one sort beats a million index insertions. The schema is then
// exactly what Open made.
func buildBenchDB(dir string, now time.Time) error {
	s, err := Open(dir)
	if err != nil {
		return err
	}
	defer s.Close()
	ctx := context.Background()
	indexes, err := stepIndexes(ctx, s)
	if err != nil {
		return err
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	for name := range indexes {
		if _, err := tx.ExecContext(ctx, "DROP INDEX "+name); err != nil {
			return err
		}
	}
	runStmt, err := tx.PrepareContext(ctx, `INSERT INTO runs (id, playbook, path, sha256, roles, status, started_at, finished_at, duration_ms, inputs)
		VALUES (?, ?, '', '', '["operator"]', ?, ?, ?, ?, '{}')`)
	if err != nil {
		return err
	}
	const cols = "(run_id, step_id, section, kind, item, attempt, op, status, error_class, started_at, duration_ms, call)"
	values := strings.TrimSuffix(strings.Repeat("(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?), ", benchStepsPerRun), ", ")
	stepStmt, err := tx.PrepareContext(ctx, "INSERT INTO steps "+cols+" VALUES "+values)
	if err != nil {
		return err
	}
	rng := rand.New(rand.NewPCG(1, 2))
	runs := benchSteps / benchStepsPerRun
	gap := benchSpan / time.Duration(runs)
	start := now.Add(-benchSpan)
	args := make([]any, 0, 12*benchStepsPerRun)
	for i := range runs {
		id := fmt.Sprintf("bench-%07d", i)
		pb := fmt.Sprintf("playbook-%02d", i%20)
		at := start.Add(time.Duration(i) * gap)
		t := at
		status := "succeeded"
		args = args[:0]
		for j := range benchStepsPerRun {
			op := benchOps[(i*7+j)%len(benchOps)]
			// Log-normal durations around 100ms with a long tail.
			d := int64(math.Exp(rng.NormFloat64()*1.2 + math.Log(100)))
			st, class, call, started := "succeeded", "", 1, any(ms(t))
			switch p := rng.IntN(1000); {
			case p < 30:
				st, class, status = "failed", "execution", "failed"
			case p < 35:
				st, class = "failed", "timeout"
			case p < 80:
				st, call, started, d = "skipped", 0, nil, 0
			}
			args = append(args, id, fmt.Sprintf("s%d", j), "steps", "step", nil, call, op, st, class, started, d, call)
			t = t.Add(time.Duration(d) * time.Millisecond)
		}
		if _, err := runStmt.ExecContext(ctx, id, pb, status, ms(at), ms(t), t.Sub(at).Milliseconds()); err != nil {
			return err
		}
		if _, err := stepStmt.ExecContext(ctx, args...); err != nil {
			return err
		}
	}
	for _, ddl := range indexes {
		if _, err := tx.ExecContext(ctx, ddl); err != nil {
			return err
		}
	}
	if err := tx.Commit(); err != nil {
		return err
	}
	_, err = s.db.ExecContext(ctx, "ANALYZE")
	return err
}

// stepIndexes returns the CREATE INDEX statements of the steps table.
func stepIndexes(ctx context.Context, s *Store) (map[string]string, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT name, sql FROM sqlite_schema WHERE type = 'index' AND tbl_name = 'steps' AND sql IS NOT NULL`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string]string{}
	for rows.Next() {
		var name, ddl string
		if err := rows.Scan(&name, &ddl); err != nil {
			return nil, err
		}
		out[name] = ddl
	}
	return out, rows.Err()
}

func benchStore(b *testing.B) (*Store, time.Time) {
	b.Helper()
	bench.once.Do(func() {
		bench.dir = filepath.Join(benchDir, "stats1m")
		bench.now = time.Now()
		begin := time.Now()
		bench.err = buildBenchDB(bench.dir, bench.now)
		fmt.Fprintf(os.Stderr, "built %d step rows in %s\n", benchSteps, time.Since(begin).Round(time.Millisecond))
	})
	if bench.err != nil {
		b.Fatal(bench.err)
	}
	s, err := Open(bench.dir)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { s.Close() })
	return s, bench.now
}

// BenchmarkStats1M measures Stats for the last 24 hours over a database of
// a million step rows spread over a week. The target is under 200ms.
func BenchmarkStats1M(b *testing.B) {
	s, now := benchStore(b)
	ctx := context.Background()
	since := now.Add(-24 * time.Hour)
	var ops []OpStats
	b.ResetTimer()
	for b.Loop() {
		var err error
		ops, _, err = s.Stats(ctx, since, time.Time{})
		if err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	var calls int64
	for _, o := range ops {
		calls += o.Count
	}
	b.ReportMetric(float64(calls), "calls/op-in-window")
}

// BenchmarkStats1MWeek is the same for the whole week, every row.
func BenchmarkStats1MWeek(b *testing.B) {
	s, now := benchStore(b)
	ctx := context.Background()
	for b.Loop() {
		if _, _, err := s.Stats(ctx, now.Add(-benchSpan-time.Hour), time.Time{}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkRecordFinish measures recording one realistic report.
func BenchmarkRecordFinish(b *testing.B) {
	s, err := Open(b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	r := sampleReport("bench", time.Now())
	ctx := context.Background()
	i := 0
	for b.Loop() {
		r.RunID = fmt.Sprintf("bench-%d", i)
		i++
		if err := s.RecordFinish(ctx, r, "", ""); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkPruneScan1M measures the selection Prune makes when there is
// nothing to delete, over 100,000 runs of 20 playbooks: --keep-runs 5000
// (every run; its cost grows with keepRuns) and --keep-days 365.
func BenchmarkPruneScan1M(b *testing.B) {
	s, _ := benchStore(b)
	ctx := context.Background()
	for b.Loop() {
		paths, err := s.Prune(ctx, benchSteps/benchStepsPerRun/20, 365)
		if err != nil || len(paths) != 0 {
			b.Fatal(paths, err)
		}
	}
}

// BenchmarkRecordFinishFanout100k records the end of a run whose one step
// fanned out over 100,000 items: a step row and an item row each.
func BenchmarkRecordFinishFanout100k(b *testing.B) {
	s, err := Open(b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	start := time.Now()
	r := &report.Report{ReportVersion: report.FormatVersion, Playbook: report.Playbook{Name: "fan"}, Status: report.StatusSucceeded,
		StartedAt: start, FinishedAt: start.Add(time.Second), DurationMS: 1000}
	st := report.Step{ID: "fan", Op: "control.noop", Section: "steps", Status: report.StatusSucceeded, StartedAt: &start, DurationMS: 1000, Attempts: 1}
	for i := range 100_000 {
		st.Items = append(st.Items, report.Item{Index: i, Item: i, Status: report.StatusSucceeded, StartedAt: &start, Attempts: 1})
	}
	r.Steps = []report.Step{st}
	ctx := context.Background()
	i := 0
	for b.Loop() {
		r.RunID = fmt.Sprintf("fan-%d", i)
		i++
		if err := s.RecordFinish(ctx, r, "", ""); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*100_001), "ns/row")
}

// BenchmarkPruneSlots1M prunes a backlog of a million slot records, a
// tenth of them skipped (with their run rows), and reports the longest
// batch: how long the writer was held at once, which is how long a claim
// of a slot due meanwhile may wait.
func BenchmarkPruneSlots1M(b *testing.B) {
	const n, per = 1_000_000, 1000
	old := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	ctx := context.Background()
	for b.Loop() {
		b.StopTimer()
		s, err := Open(b.TempDir())
		if err != nil {
			b.Fatal(err)
		}
		for i := 0; i < n; i += per {
			batch := make([]Slot, per)
			for j := range batch {
				at := old.Add(time.Duration(i+j) * time.Millisecond)
				outcome := SlotFired
				if (i+j)%10 == 0 {
					outcome = SlotSkipped
				}
				batch[j] = Slot{Playbook: fmt.Sprintf("p%03d", j), Path: "p.yaml", Slot: at, Outcome: outcome, At: at, Message: "m"}
			}
			if _, err := s.ClaimSlots(ctx, batch); err != nil {
				b.Fatal(err)
			}
		}
		var longest time.Duration
		last := time.Now()
		afterPruneBatch = func() {
			now := time.Now()
			longest = max(longest, now.Sub(last))
			last = now
		}
		b.StartTimer()
		got, err := s.PruneSlots(ctx, old.Add(48*time.Hour))
		b.StopTimer()
		afterPruneBatch = nil
		if err != nil || got != n {
			b.Fatal(got, err)
		}
		b.ReportMetric(float64(longest.Milliseconds()), "ms-longest-batch")
		s.Close()
		b.StartTimer()
	}
}
