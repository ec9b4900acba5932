package history

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/arsenal-run/arsenal-run/internal/flock"
)

// TestOpenSaysWhomItWaitsFor: a process that waits for another one
// creating or migrating the history says so, naming the holder's pid and
// that interrupting is safe. Before, `run`, `history` and `stats` waited
// up to 30 s without a word.
func TestOpenSaysWhomItWaitsFor(t *testing.T) {
	if !flock.Supported {
		t.Skip("no flock on this system")
	}
	dir := t.TempDir()
	held, err := lockExclusive(context.Background(), filepath.Join(dir, openLock), time.Second, nil)
	if err != nil {
		t.Fatal(err)
	}
	notices := make(chan string, 4)
	defer func(after time.Duration, notice func(string)) { openNoticeAfter, openNotice = after, notice }(openNoticeAfter, openNotice)
	openNoticeAfter = 10 * time.Millisecond
	openNotice = func(msg string) { notices <- msg }
	opened := make(chan error, 1)
	go func() {
		s, err := Open(dir)
		if err == nil {
			s.Close()
		}
		opened <- err
	}()
	var msg string
	select {
	case msg = <-notices:
	case err := <-opened:
		t.Fatalf("Open returned (%v) while another process held the open lock", err)
	case <-time.After(OpenTimeout):
		t.Fatal("Open waited without a word")
	}
	unlockOpen(held)
	if err := <-opened; err != nil {
		t.Fatalf("Open after the lock was released: %v", err)
	}
	for _, want := range []string{"waiting for pid " + strconv.Itoa(os.Getpid()), dir, "Ctrl-C", "giving up after 30s"} {
		if !strings.Contains(msg, want) {
			t.Errorf("notice does not say %q: %s", want, msg)
		}
	}
	if len(notices) != 0 {
		t.Errorf("more than one notice: %q", <-notices)
	}
}

// TestOpenWaitEndsWithItsContext: a daemon stopped (Ctrl-C) while it
// waits for another process opening the state dir stops waiting at once,
// rather than after OpenTimeout, and says whom it waited for.
func TestOpenWaitEndsWithItsContext(t *testing.T) {
	if !flock.Supported {
		t.Skip("no flock on this system")
	}
	dir := t.TempDir()
	held, err := lockExclusive(context.Background(), filepath.Join(dir, openLock), time.Second, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer unlockOpen(held)
	ctx, cancel := context.WithCancel(context.Background())
	opened := make(chan error, 1)
	go func() {
		s, err := OpenContext(ctx, dir, func(string) {})
		if err == nil {
			s.Close()
		}
		opened <- err
	}()
	cancel()
	err = <-opened
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("Open with its context cancelled: %v, want context.Canceled", err)
	}
	for _, want := range []string{"stopped waiting for pid " + strconv.Itoa(os.Getpid()), dir, "nothing of it was touched"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error does not say %q: %v", want, err)
		}
	}
}
