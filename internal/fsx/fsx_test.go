//go:build unix

package fsx

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

func mkfifo(t *testing.T) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "fifo")
	if err := syscall.Mkfifo(p, 0o644); err != nil {
		t.Skipf("mkfifo: %v", err)
	}
	return p
}

// within fails the test when f does not return in a generous time: the
// calls tested here must never block.
func within(t *testing.T, what string, f func()) {
	t.Helper()
	done := make(chan struct{})
	go func() { f(); close(done) }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatalf("%s blocked", what)
	}
}

func TestReadFileRefusesWhatIsNotARegularFile(t *testing.T) {
	fifo := mkfifo(t)
	for _, tc := range []struct{ path, kind string }{
		{fifo, "a named pipe (FIFO)"},
		{"/dev/zero", "a character device"},
		{t.TempDir(), "a directory"},
	} {
		within(t, "ReadFile("+tc.path+")", func() {
			_, err := ReadFile(tc.path, 1<<20)
			if !errors.Is(err, ErrNotRegular) || !strings.Contains(err.Error(), tc.kind) {
				t.Errorf("ReadFile(%s) = %v, want it refused as %s", tc.path, err, tc.kind)
			}
		})
	}
}

func TestReadFileHasALimit(t *testing.T) {
	p := filepath.Join(t.TempDir(), "big")
	if err := os.WriteFile(p, make([]byte, 2048), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := ReadFile(p, 1024); err == nil || !strings.Contains(err.Error(), "larger than the limit of 1 KiB") {
		t.Errorf("over the limit: %v", err)
	}
	if data, err := ReadFile(p, 2048); err != nil || len(data) != 2048 {
		t.Errorf("at the limit: %d bytes, %v", len(data), err)
	}
	if err := CheckRegular(p, 1024); err == nil {
		t.Error("CheckRegular took a file over the limit")
	}
	if err := CheckRegular(p, 0); err != nil {
		t.Errorf("CheckRegular without a limit: %v", err)
	}
}

func TestOpenAppendRefusesAFIFO(t *testing.T) {
	fifo := mkfifo(t)
	within(t, "OpenAppend(fifo)", func() {
		if _, err := OpenAppend(fifo, 0o644); !errors.Is(err, ErrNotRegular) {
			t.Errorf("OpenAppend(fifo) = %v, want it refused", err)
		}
	})
	p := filepath.Join(t.TempDir(), "summary.md")
	for range 2 {
		f, err := OpenAppend(p, 0o644)
		if err != nil {
			t.Fatal(err)
		}
		f.WriteString("x\n")
		f.Close()
	}
	if data, _ := os.ReadFile(p); string(data) != "x\nx\n" {
		t.Errorf("appended %q", data)
	}
}
