package report

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"testing"
)

// TestUnnamedWriteAllocs bounds what writing the state dir's copy of a
// report allocates: the file is a bare descriptor, opened unnamed,
// written, linked and closed, four allocations where the kernel links a
// descriptor itself and five where it is linked through /proc/self/fd
// (an *os.File made it six, and asked the kernel for the descriptor's
// flags).
func TestUnnamedWriteAllocs(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("unnamed files are Linux's")
	}
	dir := t.TempDir()
	if f, err := createUnnamed(dir, 0o600); err != nil {
		t.Skipf("no unnamed files here: %v", err)
	} else {
		f.Close()
	}
	data := bytes.Repeat([]byte{'x'}, 1900)
	const runs = 50
	paths := make([]string, runs+1)
	for i := range paths {
		paths[i] = filepath.Join(dir, fmt.Sprintf("run-%03d.json", i))
	}
	i := 0
	got := testing.AllocsPerRun(runs, func() {
		if err := writeFile(paths[i], data, 0o600, false); err != nil {
			t.Fatal(err)
		}
		i++
	})
	t.Logf("%.1f allocations a report", got)
	if got > unnamedWriteAllocs {
		t.Errorf("writing a report made %.1f allocations, more than the %d budgeted", got, unnamedWriteAllocs)
	}
	for _, p := range paths[:i] {
		b, err := os.ReadFile(p)
		if err != nil || !bytes.Equal(b, data) {
			t.Fatalf("%s holds %d bytes (%v), want the %d written", p, len(b), err, len(data))
		}
		if fi, _ := os.Stat(p); fi.Mode().Perm()&^0o600 != 0 {
			t.Errorf("%s has mode %v, wider than 0600", p, fi.Mode())
		}
	}
}

const unnamedWriteAllocs = 5

// TestUnnamedWriteRefusesAnExistingName: the unnamed file is linked only
// where no file is, and a file written again is replaced whole, through
// the named temporary file.
func TestUnnamedWriteRefusesAnExistingName(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "r.json")
	if err := os.WriteFile(path, []byte("old\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if done, err := writeUnnamed(dir, path, []byte("new\n"), 0o600, false); done || err != nil {
		t.Fatalf("writeUnnamed over an existing file answered %v, %v; want false, nil", done, err)
	}
	if b, _ := os.ReadFile(path); string(b) != "old\n" {
		t.Fatalf("writeUnnamed changed an existing file: %q", b)
	}
	if err := writeFile(path, []byte("new\n"), 0o600, false); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(path); string(b) != "new\n" {
		t.Fatalf("writeFile left %q, want the new report", b)
	}
	ents, _ := os.ReadDir(dir)
	if len(ents) != 1 {
		t.Errorf("the directory holds %d entries, want the report alone", len(ents))
	}
}
