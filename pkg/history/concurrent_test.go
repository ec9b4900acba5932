package history

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/arsenal-run/arsenal-run/internal/flock"
)

// raceChildEnv makes the test binary act as one run of many started at
// once: its value is "DIR|RUNID". It says "ready", waits until its stdin
// ends (the parent closes one pipe that every child reads, so all go at
// the same moment), then opens the state dir and records a whole run.
const raceChildEnv = "ARSENAL_HISTORY_RACE_CHILD"

func raceChild(spec string) {
	dir, id, _ := strings.Cut(spec, "|")
	fmt.Println("ready")
	io.Copy(io.Discard, os.Stdin)
	s, err := Open(dir)
	if err != nil {
		fmt.Println("error:", err)
		os.Exit(1)
	}
	ctx := context.Background()
	err = func() error {
		if _, err := s.MarkInterrupted(ctx); err != nil {
			return err
		}
		if err := s.RecordStart(ctx, Run{ID: id, Playbook: "p", StartedAt: time.Now()}); err != nil {
			return err
		}
		return s.RecordFinish(ctx, sampleReport(id, time.Now()), "", "")
	}()
	s.Close()
	if err != nil {
		fmt.Println("error:", err)
		os.Exit(1)
	}
	fmt.Println("ok")
}

// TestConcurrentRunsOnAFreshStateDir starts 50 processes that open one
// fresh state dir at the same moment, as 50 runs started together do, and
// record a run each: every open succeeds and every run is recorded. (A
// fresh database is switched to WAL by the first connection; without the
// open lock, others racing it got SQLITE_BUSY at once.)
func TestConcurrentRunsOnAFreshStateDir(t *testing.T) {
	if testing.Short() {
		t.Skip("starts 250 processes")
	}
	const n = 50
	for round := range 5 {
		dir := filepath.Join(t.TempDir(), "state")
		start, goSignal, err := os.Pipe()
		if err != nil {
			t.Fatal(err)
		}
		type child struct {
			cmd *exec.Cmd
			out *bufio.Scanner
		}
		children := make([]child, n)
		for i := range children {
			cmd := exec.Command(os.Args[0], "-test.run=^$")
			cmd.Env = append(os.Environ(), fmt.Sprintf("%s=%s|run-%02d", raceChildEnv, dir, i))
			cmd.Stdin = start
			cmd.Stderr = os.Stderr
			out, err := cmd.StdoutPipe()
			if err != nil {
				t.Fatal(err)
			}
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			children[i] = child{cmd, bufio.NewScanner(out)}
		}
		for _, c := range children {
			if !c.out.Scan() || c.out.Text() != "ready" {
				t.Fatalf("a child did not start: %q", c.out.Text())
			}
		}
		start.Close()
		goSignal.Close()
		for i, c := range children {
			var lines []string
			for c.out.Scan() {
				lines = append(lines, c.out.Text())
			}
			if err := c.cmd.Wait(); err != nil || strings.Join(lines, "\n") != "ok" {
				t.Errorf("round %d: run %d: %v\n%s", round, i, err, strings.Join(lines, "\n"))
			}
		}
		s, err := Open(dir)
		if err != nil {
			t.Fatal(err)
		}
		runs, err := s.List(context.Background(), Filter{Limit: 1000})
		s.Close()
		if err != nil {
			t.Fatal(err)
		}
		if len(runs) != n {
			t.Errorf("round %d: %d runs recorded, want %d", round, len(runs), n)
		}
	}
}

// TestOpenWaitsForTheOpenLock: while another process holds the open lock
// (it is creating or migrating the database), Open waits for it instead of
// racing it.
func TestOpenWaitsForTheOpenLock(t *testing.T) {
	dir := t.TempDir()
	held, err := lockExclusive(context.Background(), filepath.Join(dir, openLock), time.Second, nil)
	if err != nil {
		t.Fatal(err)
	}
	opened := make(chan error, 1)
	go func() {
		s, err := Open(dir)
		if err == nil {
			s.Close()
		}
		opened <- err
	}()
	select {
	case err := <-opened:
		t.Fatalf("Open returned (%v) while another process held the open lock", err)
	case <-time.After(300 * time.Millisecond):
	}
	unlockOpen(held)
	select {
	case err := <-opened:
		if err != nil {
			t.Fatalf("Open after the lock was released: %v", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("Open never returned")
	}
}

// TestOpenLockHeldTooLongNamesItsHolder: a process that gives up waiting
// for the open lock (another is migrating a large history) names the
// holder's pid and says what to do. Before, it said only that "another
// process held it", and the user could not tell which one to wait for.
func TestOpenLockHeldTooLongNamesItsHolder(t *testing.T) {
	if !flock.Supported {
		t.Skip("no flock on this system")
	}
	path := filepath.Join(t.TempDir(), openLock)
	held, err := lockExclusive(context.Background(), path, time.Second, nil)
	if err != nil {
		t.Fatal(err)
	}
	_, err = lockExclusive(context.Background(), path, 50*time.Millisecond, nil)
	if err == nil {
		t.Fatal("the lock was taken twice")
	}
	pid := "pid " + strconv.Itoa(os.Getpid())
	for _, want := range []string{pid, "run again once it has opened it", "ps -o pid,stat,etime,args -p " + strconv.Itoa(os.Getpid())} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error does not say %q: %v", want, err)
		}
	}
	unlockOpen(held)
	again, err := lockExclusive(context.Background(), path, time.Second, nil)
	if err != nil {
		t.Fatalf("the released lock could not be taken: %v", err)
	}
	unlockOpen(again)
	if b, _ := os.ReadFile(path); len(b) != 0 {
		t.Errorf("the released lock still names a holder: %q", b)
	}
}
