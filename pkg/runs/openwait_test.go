package runs

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/arsenal-run/arsenal-run/internal/flock"
)

// TestServiceSaysItWaitsForTheStateDir: a service opening a state dir
// another process holds open (it creates or migrates the history) says so
// through Warn, so that schedule and serve log it in their own format
// instead of a bare line on standard error amid JSON logs.
func TestServiceSaysItWaitsForTheStateDir(t *testing.T) {
	if !flock.Supported {
		t.Skip("no flock on this system")
	}
	dir := t.TempDir()
	f, err := os.OpenFile(filepath.Join(dir, "history.lock"), os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := flock.TryLock(f); err != nil {
		t.Fatal(err)
	}
	warned := make(chan string, 4)
	done := make(chan error, 1)
	go func() {
		s, err := NewService(Config{Registry: newRegistry(t), StateDir: dir,
			Warn: func(format string, args ...any) { warned <- fmt.Sprintf(format, args...) }})
		if err == nil {
			s.Close()
		}
		done <- err
	}()
	select {
	case msg := <-warned:
		if !strings.Contains(msg, "history: waiting for") {
			t.Errorf("warning %q does not say it waits", msg)
		}
	case err := <-done:
		t.Fatalf("NewService returned (%v) while the state dir was held open", err)
	case <-time.After(time.Minute):
		t.Fatal("NewService waited without a word")
	}
	flock.Unlock(f)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}
