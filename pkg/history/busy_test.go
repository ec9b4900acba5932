package history

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"
)

// writeChildEnv makes the test binary act as another process that holds
// a write transaction on the history of the state dir the variable names:
// it says "holding" once it does, and lets it go when its standard input
// ends.
const writeChildEnv = "ARSENAL_HISTORY_WRITE_CHILD"

func writeChild(dir string) {
	s, err := Open(dir)
	if err != nil {
		fmt.Println("error:", err)
		os.Exit(1)
	}
	tx, err := s.beginWrite(context.Background())
	if err != nil {
		fmt.Println("error:", err)
		os.Exit(1)
	}
	fmt.Println("holding")
	io.Copy(io.Discard, os.Stdin)
	tx.Rollback()
	s.Close()
}

// holdWrites starts another process that holds a write transaction on
// the history in dir until release is called (or the test ends), and
// returns its pid.
func holdWrites(t *testing.T, dir string) (pid int, release func()) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), writeChildEnv+"="+dir)
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	released := false
	release = func() {
		if !released {
			released = true
			stdin.Close()
			cmd.Wait()
		}
	}
	t.Cleanup(release)
	sc := bufio.NewScanner(out)
	if !sc.Scan() || sc.Text() != "holding" {
		t.Fatalf("the other process does not hold the database: %q", sc.Text())
	}
	go io.Copy(io.Discard, out)
	return cmd.Process.Pid, release
}

// shortBusy shortens, for one test, the wait before a busy write is
// noticed and, when timeout is not 0, the busy timeout of the stores it
// opens.
func shortBusy(t *testing.T, timeout time.Duration) {
	defer func(after, old time.Duration) {
		t.Cleanup(func() { busyNoticeAfter, busyTimeout = after, old })
	}(busyNoticeAfter, busyTimeout)
	busyNoticeAfter = 10 * time.Millisecond
	if timeout != 0 {
		busyTimeout = timeout
	}
}

// TestABusyWriteSaysWhomItWaitsFor: a write that waits for another
// process's write transaction (a `serve` pruning, a process stopped with
// Ctrl-Z in the middle of a write) says so once it has waited a while,
// naming that process's pid, the database and how to tell whether it is
// stuck; once the other process lets go, the write is done. Before, it
// waited up to 10 s without a word.
func TestABusyWriteSaysWhomItWaitsFor(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("the holder of the write lock is found in /proc/locks")
	}
	shortBusy(t, 0)
	dir := t.TempDir()
	notices := make(chan string, 4)
	s, err := OpenContext(context.Background(), dir, func(msg string) { notices <- msg })
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	pid, release := holdWrites(t, dir)
	wrote := make(chan error, 1)
	go func() {
		wrote <- s.RecordStart(context.Background(), Run{ID: "r1", Playbook: "p", StartedAt: time.Now()})
	}()
	var msg string
	select {
	case msg = <-notices:
	case err := <-wrote:
		t.Fatalf("the write ended (%v) while another process held the database, without a notice", err)
	}
	release()
	if err := <-wrote; err != nil {
		t.Fatalf("the write once the other process let go: %v", err)
	}
	p := strconv.Itoa(pid)
	for _, want := range []string{"waiting for pid " + p, filepath.Join(dir, FileName), "giving up after 10s", "ps -o pid,stat,etime,args -p " + p, "kill -CONT " + p} {
		if !strings.Contains(msg, want) {
			t.Errorf("notice does not say %q: %s", want, msg)
		}
	}
	if len(notices) != 0 {
		t.Errorf("more than one notice: %q", <-notices)
	}
}

// TestABusyWriteThatGivesUpSaysWhoHeldIt: a write that waited the whole
// busy timeout for another process fails naming that process, the
// database and what to do, rather than with SQLite's "database is
// locked" alone.
func TestABusyWriteThatGivesUpSaysWhoHeldIt(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("the holder of the write lock is found in /proc/locks")
	}
	shortBusy(t, 200*time.Millisecond)
	dir := t.TempDir()
	s, err := OpenContext(context.Background(), dir, func(string) {})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	pid, _ := holdWrites(t, dir)
	err = s.RecordStart(context.Background(), Run{ID: "r1", Playbook: "p", StartedAt: time.Now()})
	if err == nil {
		t.Fatal("the write succeeded while another process held the database")
	}
	if !isBusy(err) {
		t.Errorf("the error is no longer SQLite's busy error: %v", err)
	}
	p := strconv.Itoa(pid)
	for _, want := range []string{"database is locked", "waited 200ms for pid " + p, filepath.Join(dir, FileName), "run again once it is done", "ps -o pid,stat,etime,args -p " + p} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error does not say %q: %v", want, err)
		}
	}
}

// TestASlowWriteOfItsOwnIsNoWait: a write of this process that holds the
// database (this process's own lock) is not taken for a wait for another
// process, however long it lasts.
func TestASlowWriteOfItsOwnIsNoWait(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("the holder of the write lock is found in /proc/locks")
	}
	dir := t.TempDir()
	s, err := OpenContext(context.Background(), dir, func(string) {})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	tx, err := s.beginWrite(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	if pid := writeHolder(s.dbPath()); pid != 0 {
		t.Errorf("this process's own write lock is taken for pid %d's", pid)
	}
}

// TestOpeningABusyHistorySaysWhomItWaitsFor: opening a history of an
// older schema (the first open after an upgrade) takes its write lock to
// migrate it, and waited for another process's write transaction without
// a word; it now says whom it waits for, as a write does.
func TestOpeningABusyHistorySaysWhomItWaitsFor(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("the holder of the write lock is found in /proc/locks")
	}
	shortBusy(t, 0)
	dir := t.TempDir()
	pid, release := holdWrites(t, dir)
	// The other process wrote the schema it knows; this one knows one
	// more version, so that its open migrates.
	knowMigrations(t, append(migrations[:len(migrations):len(migrations)], ""))
	notices := make(chan string, 4)
	opened := make(chan error, 1)
	go func() {
		s, err := OpenContext(context.Background(), dir, func(msg string) { notices <- msg })
		if err == nil {
			s.Close()
		}
		opened <- err
	}()
	var msg string
	select {
	case msg = <-notices:
	case err := <-opened:
		t.Fatalf("Open ended (%v) while another process held the database, without a notice", err)
	}
	release()
	if err := <-opened; err != nil {
		t.Fatalf("Open once the other process let go: %v", err)
	}
	if want := "waiting for pid " + strconv.Itoa(pid) + ", which is writing the history database " + filepath.Join(dir, FileName); !strings.Contains(msg, want) {
		t.Errorf("notice does not say %q: %s", want, msg)
	}
}

// TestABusyWatchWhoseTimerFiresAtOnceIsNoRace: the watch's timer may fire
// before watchBusy has kept it (a process descheduled for the notice's
// delay, on a loaded machine): look then read the timer watchBusy was
// still writing, which the race detector caught in the processes of
// TestConcurrentRunsOnAFreshStateDir, and which could have been nil.
func TestABusyWatchWhoseTimerFiresAtOnceIsNoRace(t *testing.T) {
	defer func(old time.Duration) { busyNoticeAfter = old }(busyNoticeAfter)
	busyNoticeAfter = 0
	ws := make([]*busyWatch, 20)
	for i := range ws {
		// No database: look finds no holder and sets the timer again.
		ws[i] = watchBusy("", nil)
	}
	// Time for the timers to fire; what is judged is the race
	// detector's, not a duration.
	time.Sleep(50 * time.Millisecond)
	for _, w := range ws {
		if err := w.end(nil); err != nil {
			t.Errorf("end: %v", err)
		}
	}
}

// TestWatchingAWriteCostsNoAllocation: every write of the history is
// watched for a wait on another process; a write that waits for no one,
// nearly all of them, made a timer and joined the database's path each
// time (five allocations), which a scheduler's and a server's every run
// paid several times over.
func TestWatchingAWriteCostsNoAllocation(t *testing.T) {
	s := openStore(t)
	s.watchBusy().end(nil) // the first write makes the timer
	if n := testing.AllocsPerRun(100, func() { s.watchBusy().end(nil) }); n != 0 {
		t.Errorf("watching a write allocates %v times", n)
	}
}

// TestEachBusyWriteSaysWhomItWaitsFor: a Store watches its writes with
// one watch, set again for each; a write that waits after one that
// waited and was noticed is noticed too, once.
func TestEachBusyWriteSaysWhomItWaitsFor(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("the holder of the write lock is found in /proc/locks")
	}
	shortBusy(t, 0)
	dir := t.TempDir()
	notices := make(chan string, 4)
	s, err := OpenContext(context.Background(), dir, func(msg string) { notices <- msg })
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	for i, id := range []string{"r1", "r2"} {
		pid, release := holdWrites(t, dir)
		wrote := make(chan error, 1)
		go func() {
			wrote <- s.RecordStart(context.Background(), Run{ID: id, Playbook: "p", StartedAt: time.Now()})
		}()
		select {
		case msg := <-notices:
			if want := "waiting for pid " + strconv.Itoa(pid); !strings.Contains(msg, want) {
				t.Errorf("write %d: notice does not say %q: %s", i+1, want, msg)
			}
		case err := <-wrote:
			t.Fatalf("write %d ended (%v) while another process held the database, without a notice", i+1, err)
		}
		release()
		if err := <-wrote; err != nil {
			t.Fatalf("write %d once the other process let go: %v", i+1, err)
		}
		if len(notices) != 0 {
			t.Errorf("write %d: more than one notice: %q", i+1, <-notices)
		}
	}
}

// TestAReusedBusyWatchIsNoRace: a Store's one watch is set again for
// each write while the look of the one before may still be under way.
func TestAReusedBusyWatchIsNoRace(t *testing.T) {
	defer func(old time.Duration) { busyNoticeAfter = old }(busyNoticeAfter)
	busyNoticeAfter = 0
	w := watchBusy("", nil)
	for range 1000 {
		if err := w.end(nil); err != nil {
			t.Fatalf("end: %v", err)
		}
		w.start()
	}
	w.end(nil)
}
