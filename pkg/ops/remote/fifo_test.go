package remote

import (
	"context"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestUploadSourceFIFOIsRefused: ssh.upload's src naming a FIFO is
// refused at once. Before, the open blocked for want of a writer, past
// the step's timeout, and kept its goroutine, thread and root for good.
func TestUploadSourceFIFOIsRefused(t *testing.T) {
	fifo := filepath.Join(t.TempDir(), "fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Skip(err)
	}
	done := make(chan error, 1)
	go func() {
		_, _, release, err := openLocal(context.Background(), fifo)
		if err == nil {
			release()
		}
		done <- err
	}()
	select {
	case err := <-done:
		if err == nil || !strings.Contains(err.Error(), "not a regular file") {
			t.Errorf("openLocal of a FIFO: %v", err)
		}
	case <-time.After(time.Minute):
		t.Fatal("openLocal of a FIFO did not return")
	}
}
