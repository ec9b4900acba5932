package cli

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// openPTYPair opens a pseudo-terminal: ptm is the keyboard's end (what is
// written to it is typed), pts the program's. What the program writes is
// read from ptm and dropped.
func openPTYPair(t *testing.T) (ptm, pts *os.File) {
	t.Helper()
	ptm, pts = openPTYEnds(t)
	go io.Copy(io.Discard, ptm) // the terminal's echo
	return ptm, pts
}

// openPTYEnds is openPTYPair without the reader of ptm: the test reads
// what the program writes.
func openPTYEnds(t *testing.T) (ptm, pts *os.File) {
	t.Helper()
	ptm, err := os.OpenFile("/dev/ptmx", os.O_RDWR, 0)
	if err != nil {
		t.Skipf("no pseudo-terminal: %v", err)
	}
	if err := unix.IoctlSetPointerInt(int(ptm.Fd()), unix.TIOCSPTLCK, 0); err != nil {
		ptm.Close()
		t.Skipf("unlockpt: %v", err)
	}
	n, err := unix.IoctlGetInt(int(ptm.Fd()), unix.TIOCGPTN)
	if err != nil {
		ptm.Close()
		t.Skipf("ptsname: %v", err)
	}
	pts, err = os.OpenFile(fmt.Sprintf("/dev/pts/%d", n), os.O_RDWR|unix.O_NOCTTY, 0)
	if err != nil {
		ptm.Close()
		t.Skipf("open pts: %v", err)
	}
	// Closing the keyboard's end ends the confirmer's reader (EOF or
	// EIO), which would otherwise stay blocked reading.
	t.Cleanup(func() { ptm.Close(); pts.Close() })
	return ptm, pts
}

// TestConfirmDropsTypeAheadOnTerminal: a line typed on the terminal before
// the first question is shown, which nobody has read yet, does not answer
// it; the first line typed after it does.
func TestConfirmDropsTypeAheadOnTerminal(t *testing.T) {
	for _, tc := range []struct {
		name, ahead, after string
		want               bool
	}{
		{"yes ahead", "y\n", "n\n", false},
		{"no ahead", "n\n", "yes\n", true},
		{"two lines ahead", "y\nyes\n", "no\n", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ptm, pts := openPTYPair(t)
			if _, err := io.WriteString(ptm, tc.ahead); err != nil {
				t.Fatal(err)
			}
			waitReadable(t, pts)
			out := newNotifyWriter()
			c := &terminalConfirmer{in: pts, out: out}
			got := make(chan bool, 1)
			go func() {
				ok, err := c.Confirm(context.Background(), "a", "Really?")
				if err != nil {
					t.Errorf("Confirm: %v", err)
				}
				got <- ok
			}()
			for !strings.Contains(out.String(), "Really?") {
				<-out.wrote
			}
			if _, err := io.WriteString(ptm, tc.after); err != nil {
				t.Fatal(err)
			}
			select {
			case ok := <-got:
				if ok != tc.want {
					t.Errorf("typed %q before the question and %q after: answered %v, want %v", tc.ahead, tc.after, ok, tc.want)
				}
			case <-time.After(10 * time.Second):
				t.Fatal("no answer")
			}
		})
	}
}

// waitReadable waits until f has input to read, so that a test's typing
// ahead is there before the question.
func waitReadable(t *testing.T, f *os.File) {
	t.Helper()
	fds := []unix.PollFd{{Fd: int32(f.Fd()), Events: unix.POLLIN}}
	if n, err := unix.Poll(fds, 10000); n != 1 || err != nil {
		t.Fatalf("typed input never arrived: %d, %v", n, err)
	}
}
