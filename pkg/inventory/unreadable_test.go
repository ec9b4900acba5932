//go:build unix

package inventory

import (
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// TestLoadRefusesWhatIsNotAFile: --inventory naming a FIFO blocked for
// ever in os.Open, waiting for a writer, and a directory was reported at
// a line and column it does not have ("d:1:1: cannot read the inventory:
// read d: is a directory"). Both are refused at once, naming the path
// alone, with what to do.
func TestLoadRefusesWhatIsNotAFile(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "hosts.yaml")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Skipf("mkfifo: %v", err)
	}
	// A loader that does block is released at the end, so that the test
	// fails rather than hangs.
	t.Cleanup(func() {
		if w, err := os.OpenFile(fifo, os.O_RDWR, 0); err == nil {
			w.Close()
		}
	})
	for _, tc := range []struct{ path, want string }{
		{fifo, fifo + ": cannot read the inventory: it is a named pipe (FIFO), not a regular file; arsenal-run reads only regular files, as a pipe may never be written to: save the content to a file and give that file's path"},
		{dir, dir + ": cannot read the inventory: it is a directory, not a regular file; give the path of the inventory itself, a file in that directory or elsewhere"},
	} {
		done := make(chan error, 1)
		go func() {
			_, err := Load(tc.path)
			done <- err
		}()
		select {
		case err := <-done:
			got := "<nil>"
			if err != nil {
				got = err.Error()
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("Load(%s) (-want +got):\n%s", tc.path, diff)
			}
		case <-time.After(10 * time.Second):
			t.Fatalf("Load(%s) still blocks after 10s", tc.path)
		}
	}
}
