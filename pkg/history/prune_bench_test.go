package history

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

const (
	backlogRuns        = 200_000
	backlogStepsPerRun = 3
)

// buildBacklog writes backlogRuns runs of 20 playbooks, a minute apart and
// ending a day ago, with backlogStepsPerRun step rows each, in one
// transaction.
func buildBacklog(dir string) error {
	s, err := Open(dir)
	if err != nil {
		return err
	}
	defer s.Close()
	ctx := context.Background()
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	runStmt, err := tx.PrepareContext(ctx, `INSERT INTO runs (id, playbook, path, sha256, roles, status, started_at, finished_at, duration_ms, inputs, report_path)
		VALUES (?, ?, '', '', '["operator"]', 'succeeded', ?, ?, 1000, '{}', ?)`)
	if err != nil {
		return err
	}
	values := strings.TrimSuffix(strings.Repeat("(?, ?, 'steps', 'step', NULL, 1, 'shell.exec', 'succeeded', '', ?, 300, 1), ", backlogStepsPerRun), ", ")
	stepStmt, err := tx.PrepareContext(ctx, "INSERT INTO steps (run_id, step_id, section, kind, item, attempt, op, status, error_class, started_at, duration_ms, call) VALUES "+values)
	if err != nil {
		return err
	}
	end := time.Now().Add(-24 * time.Hour)
	args := make([]any, 0, 3*backlogStepsPerRun)
	for i := range backlogRuns {
		id := fmt.Sprintf("backlog-%07d", i)
		at := ms(end.Add(-time.Duration(backlogRuns-i) * time.Minute))
		if _, err := runStmt.ExecContext(ctx, id, fmt.Sprintf("playbook-%02d", i%20), at, at+1000, filepath.Join(s.Reports(), id+".json")); err != nil {
			return err
		}
		args = args[:0]
		for j := range backlogStepsPerRun {
			args = append(args, id, fmt.Sprintf("s%d", j), at+int64(j))
		}
		if _, err := stepStmt.ExecContext(ctx, args...); err != nil {
			return err
		}
	}
	return tx.Commit()
}

// BenchmarkPruneBacklog prunes a backlog of 200,000 runs down to 10 per
// playbook while another process's store records a run every 5 ms, and
// reports the longest a recording waited (the longest the prune held the
// write lock, plus SQLite's busy-handler sleep) and the prune's time.
//
//	go test ./pkg/history -run '^$' -bench PruneBacklog -benchtime 1x
func BenchmarkPruneBacklog(b *testing.B) {
	for range b.N {
		b.StopTimer()
		dir, err := os.MkdirTemp(benchDir, "backlog")
		if err != nil {
			b.Fatal(err)
		}
		if err := buildBacklog(dir); err != nil {
			b.Fatal(err)
		}
		s, err := Open(dir)
		if err != nil {
			b.Fatal(err)
		}
		other, err := Open(dir)
		if err != nil {
			b.Fatal(err)
		}
		stop := make(chan struct{})
		var wg sync.WaitGroup
		var longest time.Duration
		var writes int
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				case <-time.After(5 * time.Millisecond):
				}
				r := sampleReport(fmt.Sprintf("writer-%06d", i), time.Now())
				begin := time.Now()
				if err := other.RecordFinish(context.Background(), r, "", ""); err != nil {
					b.Error(err)
					return
				}
				longest = max(longest, time.Since(begin))
				writes++
			}
		}()
		time.Sleep(50 * time.Millisecond)
		b.StartTimer()
		begin := time.Now()
		if _, err := s.Prune(context.Background(), 10, 0); err != nil {
			b.Fatal(err)
		}
		took := time.Since(begin)
		b.StopTimer()
		close(stop)
		wg.Wait()
		b.ReportMetric(float64(longest.Milliseconds()), "max-writer-wait-ms")
		b.ReportMetric(took.Seconds(), "prune-s")
		b.ReportMetric(float64(writes), "writes")
		s.Close()
		other.Close()
		os.RemoveAll(dir)
	}
}
