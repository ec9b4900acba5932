package scheduler

import (
	"bufio"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
)

// TestHelperHoldStateLock is not a test: run by
// TestStateLockNamesTheHoldersCommand as a process whose command line
// holds "serve", it takes the lock of $HOLD_STATE_DIR and holds it until
// its standard input closes.
func TestHelperHoldStateLock(t *testing.T) {
	dir := os.Getenv("HOLD_STATE_DIR")
	if dir == "" {
		t.Skip("helper process only")
	}
	l, err := LockStateDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	os.Stdout.WriteString("locked\n")
	bufio.NewReader(os.Stdin).ReadString('\n')
	l.Unlock()
}

// TestStateLockNamesTheHoldersCommand: a `serve` holds the scheduler lock
// for its scheduled playbooks; the refusal names it as a serve. Before,
// it said "another scheduler", and the user looked for a `schedule`
// process that was not there.
func TestStateLockNamesTheHoldersCommand(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("the holder's command line is read from /proc")
	}
	dir := filepath.Join(t.TempDir(), "state")
	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperHoldStateLock$", "serve")
	cmd.Env = append(os.Environ(), "HOLD_STATE_DIR="+dir)
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { stdin.Close(); cmd.Wait() }()
	if line, err := bufio.NewReader(stdout).ReadString('\n'); line != "locked\n" {
		t.Fatalf("helper: %q, %v", line, err)
	}
	_, err = LockStateDir(dir)
	var held *HeldError
	if !errors.As(err, &held) || held.PID != cmd.Process.Pid || held.Command != "serve" {
		t.Fatalf("lock held by a serve: %v (%+v), want a HeldError naming serve pid %d", err, held, cmd.Process.Pid)
	}
	want := "`arsenal-run serve`, pid " + strconv.Itoa(cmd.Process.Pid) + ", which runs the schedules of its playbooks, is running on this state dir"
	if !strings.Contains(err.Error(), want) {
		t.Errorf("error %q does not say %q", err, want)
	}
}
