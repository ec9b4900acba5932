package history

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// fullDisk mounts a small tmpfs at a temporary directory for the test,
// and skips the test where it cannot (not root, no mount namespace).
func fullDisk(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	if err := syscall.Mount("tmpfs", dir, "tmpfs", 0, "size=512k"); err != nil {
		t.Skipf("cannot mount a tmpfs to fill: %v", err)
	}
	t.Cleanup(func() {
		if err := syscall.Unmount(dir, 0); err != nil {
			t.Errorf("unmount %s: %v", dir, err)
		}
	})
	return dir
}

// fill writes to a file in dir until the disk is full.
func fill(t *testing.T, dir string) {
	t.Helper()
	f, err := os.Create(filepath.Join(dir, "filler"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	buf := make([]byte, 4096)
	for {
		if _, err := f.Write(buf); err != nil {
			if !strings.Contains(err.Error(), "no space left") {
				t.Fatal(err)
			}
			return
		}
	}
}

// TestOpenOnAFullDiskSaysSo: a history whose disk is full cannot be
// opened, even to be read, and SQLite says only "disk I/O error". The
// error must say that the disk is full and what to do, for a new state
// dir and for one that has a history.
func TestOpenOnAFullDiskSaysSo(t *testing.T) {
	for _, existing := range []bool{false, true} {
		name := "new"
		if existing {
			name = "existing"
		}
		t.Run(name, func(t *testing.T) {
			disk := fullDisk(t)
			state := filepath.Join(disk, "state")
			if existing {
				s, err := Open(state)
				if err != nil {
					t.Fatal(err)
				}
				if err := s.Close(); err != nil {
					t.Fatal(err)
				}
			} else if err := os.Mkdir(state, 0o700); err != nil {
				t.Fatal(err)
			}
			fill(t, disk)
			s, err := Open(state)
			if err == nil {
				s.Close()
				t.Skip("the history opened on a full disk")
			}
			for _, want := range []string{"the disk of " + state + " is full", "free space on it and try again"} {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("Open on a full disk: %v\nwant it to say %q", err, want)
				}
			}
		})
	}
}
