package history

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/arsenal-run/arsenal-run/pkg/report"
)

// crashChildEnv makes the test binary act as a process that records runs
// until it is killed; its value is the state directory.
const crashChildEnv = "ARSENAL_HISTORY_CRASH_CHILD"

// crashChild records the start of run crash-run, then writes without pause
// (one step of crash-run, then a whole finished run) and says "wrote N"
// after each commit, until it is killed.
func crashChild(dir string) {
	s, err := Open(dir)
	if err != nil {
		fmt.Println("error:", err)
		os.Exit(1)
	}
	ctx := context.Background()
	start := time.Now()
	if err := s.RecordStart(ctx, Run{ID: "crash-run", Playbook: "long", StartedAt: start}); err != nil {
		fmt.Println("error:", err)
		os.Exit(1)
	}
	for i := 0; ; i++ {
		err := s.RecordStep(ctx, "crash-run", StepResult{StepID: fmt.Sprintf("s%d", i), Op: "shell.exec", Item: -1, Attempts: 1,
			Status: report.StatusSucceeded, StartedAt: start.Add(time.Duration(i) * time.Millisecond), DurationMS: 1})
		if err == nil {
			err = s.RecordFinish(ctx, sampleReport(fmt.Sprintf("done-%d", i), start), "", "")
		}
		if err != nil {
			fmt.Println("error:", err)
			os.Exit(1)
		}
		fmt.Printf("wrote %d\n", i)
	}
}

// TestCrashSafety kills a recording process with SIGKILL while it writes,
// at a few points, and checks the database afterwards: intact, every
// finished run complete or absent, and the killed run marked interrupted.
func TestCrashSafety(t *testing.T) {
	dir := t.TempDir()
	for round, killAfter := range []int{3, 20, 45} {
		runChildAndKill(t, dir, killAfter)

		s, err := Open(dir)
		if err != nil {
			t.Fatalf("round %d: open after kill: %v", round, err)
		}
		ctx := context.Background()
		var check string
		if err := s.db.QueryRowContext(ctx, "PRAGMA integrity_check").Scan(&check); err != nil || check != "ok" {
			t.Fatalf("round %d: integrity_check = %q, %v", round, check, err)
		}
		n, err := s.MarkInterrupted(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if n != 1 {
			t.Errorf("round %d: MarkInterrupted marked %d runs, want 1", round, n)
		}
		run, err := s.Get(ctx, "crash-run")
		if err != nil {
			t.Fatal(err)
		}
		if run.Status != StatusInterrupted || run.Error == nil || run.Error.Class != "system" || run.FinishedAt == nil {
			t.Errorf("round %d: crash-run = %+v, want interrupted with a system error", round, run)
		}
		var steps int
		if err := s.db.QueryRowContext(ctx, "SELECT COUNT(*) FROM steps WHERE run_id = 'crash-run'").Scan(&steps); err != nil {
			t.Fatal(err)
		}
		if steps < killAfter {
			t.Errorf("round %d: crash-run kept %d step rows, want at least the %d the child reported", round, steps, killAfter)
		}
		// Each finished run is all there or not there: RecordFinish is
		// one transaction.
		want := len(stepRows(sampleReport("x", time.Now())))
		var torn int
		err = s.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM runs r WHERE r.id LIKE 'done-%'
			AND (SELECT COUNT(*) FROM steps WHERE run_id = r.id) != ?`, want).Scan(&torn)
		if err != nil {
			t.Fatal(err)
		}
		if torn != 0 {
			t.Errorf("round %d: %d finished runs have a partial set of step rows", round, torn)
		}
		if n, _ := s.MarkInterrupted(ctx); n != 0 {
			t.Errorf("round %d: second MarkInterrupted marked %d runs", round, n)
		}
		s.Close()
	}
}

// runChildAndKill starts crashChild on dir, waits until it has committed
// killAfter writes, and kills it with SIGKILL while it goes on writing.
func runChildAndKill(t *testing.T, dir string, killAfter int) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), crashChildEnv+"="+dir)
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() {
		sc := bufio.NewScanner(out)
		n := 0
		for sc.Scan() {
			line := sc.Text()
			if strings.HasPrefix(line, "error:") {
				done <- fmt.Errorf("child: %s", line)
				return
			}
			if n++; n == killAfter {
				done <- nil
				// Keep reading so the child never blocks on a full pipe
				// before the signal lands.
				for sc.Scan() {
				}
				return
			}
		}
		done <- fmt.Errorf("child ended after %d writes: %v", n, sc.Err())
	}()
	select {
	case err = <-done:
	case <-time.After(30 * time.Second):
		err = fmt.Errorf("child wrote fewer than %d times in 30s", killAfter)
	}
	cmd.Process.Signal(syscall.SIGKILL)
	waitErr := cmd.Wait()
	if err != nil {
		t.Fatal(err)
	}
	if ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus); !ok || !ws.Signaled() || ws.Signal() != syscall.SIGKILL {
		t.Fatalf("child did not die of SIGKILL: %v", waitErr)
	}
}
