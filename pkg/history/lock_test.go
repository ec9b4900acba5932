package history

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// TestOpenLockMessagesNameTheHolder pins the notice and the two errors of
// a wait for the open lock, with the holder's pid in the lock file and
// without: they share one way of naming the holder.
func TestOpenLockMessagesNameTheHolder(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, openLock)
	pid := strconv.Itoa(os.Getpid())
	for _, tc := range []struct {
		name, file         string
		waiting, too, stop string
	}{
		{
			name:    "pid recorded",
			file:    pid + "\n",
			waiting: "waiting for pid " + pid + ", which is opening the state dir " + dir + " (it creates the history database, or brings it to this release's schema after an upgrade; it holds " + path + " meanwhile); giving up after 30s; interrupting (Ctrl-C) is safe: nothing has run or been written yet",
			too:     "lock " + path + ": waited 30s for pid " + pid + ", which holds it while it opens this state dir (it creates the history database, or brings a large one to this release's schema after an upgrade); run again once it has opened it, or, if it is stuck (`ps -o pid,stat,etime,args -p " + pid + "` shows it stopped), end it",
			stop:    "stopped waiting for pid " + pid + ", which is opening the state dir " + dir + "; nothing of it was touched: context canceled",
		},
		{
			name:    "no pid",
			file:    "",
			waiting: "waiting for another process (it did not record its pid), which is opening the state dir " + dir + " (it creates the history database, or brings it to this release's schema after an upgrade; it holds " + path + " meanwhile); giving up after 30s; interrupting (Ctrl-C) is safe: nothing has run or been written yet",
			too:     "lock " + path + ": waited 30s for another process (it did not record its pid), which holds it while it opens this state dir (it creates the history database, or brings a large one to this release's schema after an upgrade); run again once it has opened it",
			stop:    "stopped waiting for another process, which is opening the state dir " + dir + "; nothing of it was touched: context canceled",
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if err := os.WriteFile(path, []byte(tc.file), 0o644); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.waiting, waitingFor(path, 30*time.Second)); diff != "" {
				t.Errorf("notice (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tc.too, heldTooLong(path, 30*time.Second).Error()); diff != "" {
				t.Errorf("timeout error (-want +got):\n%s", diff)
			}
			err := stoppedWaiting(path, context.Canceled)
			if diff := cmp.Diff(tc.stop, err.Error()); diff != "" {
				t.Errorf("stopped error (-want +got):\n%s", diff)
			}
			if !errors.Is(err, context.Canceled) {
				t.Errorf("stopped error does not wrap its cause: %v", err)
			}
		})
	}
}
