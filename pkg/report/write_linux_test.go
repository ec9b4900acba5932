package report

import (
	"os"
	"path/filepath"
	"testing"
)

// TestUnnamedLinkThroughProc: where the kernel does not link a
// descriptor itself (AT_EMPTY_PATH), the unnamed file is linked through
// /proc/self/fd, the same file, and still never over an existing name.
func TestUnnamedLinkThroughProc(t *testing.T) {
	was := emptyPathLink.Load()
	emptyPathLink.Store(2)
	defer emptyPathLink.Store(was)
	dir := t.TempDir()
	path := filepath.Join(dir, "r.json")
	if done, err := writeUnnamed(dir, path, []byte("one\n"), 0o600, false); !done || err != nil {
		t.Skipf("no unnamed files here (%v, %v)", done, err)
	}
	if b, _ := os.ReadFile(path); string(b) != "one\n" {
		t.Fatalf("the report holds %q, want %q", b, "one\n")
	}
	if done, err := writeUnnamed(dir, path, []byte("two\n"), 0o600, false); done || err != nil {
		t.Fatalf("writeUnnamed over an existing file answered %v, %v; want false, nil", done, err)
	}
	if b, _ := os.ReadFile(path); string(b) != "one\n" {
		t.Fatalf("writeUnnamed changed an existing file: %q", b)
	}
}
