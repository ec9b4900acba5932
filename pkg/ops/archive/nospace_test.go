package archive

import (
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/arsenal-run/arsenal-run/pkg/ops"
)

// full is a file system with room for n more bytes: a write past them
// fails as write(2) does on a full disk.
type full struct {
	f *os.File
	n int
}

func (w *full) Write(p []byte) (int, error) {
	if len(p) > w.n {
		k, _ := w.f.Write(p[:w.n])
		w.n = 0
		return k, &fs.PathError{Op: "write", Path: w.f.Name(), Err: syscall.ENOSPC}
	}
	w.n -= len(p)
	return w.f.Write(p)
}

// diskFull makes the archive ops' writes fail after room bytes, until the
// test ends.
func diskFull(t *testing.T, room int) {
	t.Helper()
	writeTo = func(f *os.File) io.Writer { return &full{f: f, n: room} }
	t.Cleanup(func() { writeTo = func(f *os.File) io.Writer { return f } })
}

func wantAll(t *testing.T, what string, err error, want ...string) {
	t.Helper()
	if err == nil {
		t.Fatalf("%s: no error, want one saying %q", what, want)
	}
	if ops.ClassOf(err) != ops.ClassExecution {
		t.Errorf("%s: class %s, want execution", what, ops.ClassOf(err))
	}
	for _, w := range want {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("%s: %v\nwant it to say %q", what, err, w)
		}
	}
	if s := err.Error(); strings.Contains(s, "no space left on device") || strings.Contains(s, "looked for") {
		t.Errorf("%s: %v\nwant the cause said once, without the path resolution", what, err)
	}
}

// TestFullDiskCreate: an archive that did not fit failed with the raw
// "no space left on device" and where relative paths resolve, with no
// word of what was left or what to do.
func TestFullDiskCreate(t *testing.T) {
	e := newEnv(t)
	big := strings.Repeat("incompressible? no, but long enough\n", 4096)
	write(t, e.root, map[string]string{"site/a.txt": big, "site/b.txt": big, "old.tar.gz": "the old archive"})
	diskFull(t, 512)
	df := "free space (df -h " + e.root + ") and run the step again"

	_, err := e.run("archive.create", map[string]any{"src": "site", "dest": "site.tar.gz"})
	wantAll(t, "a new archive", err, "site.tar.gz: no space left on the file system", "no archive was created", df)
	_, err = e.run("archive.create", map[string]any{"src": "site", "dest": "old.tar.gz", "overwrite": true})
	wantAll(t, "replacing an archive", err, "old.tar.gz is unchanged", df)

	names, _ := os.ReadDir(e.root)
	var left []string
	for _, n := range names {
		left = append(left, n.Name())
	}
	if strings.Join(left, " ") != "old.tar.gz site" {
		t.Errorf("left in the directory: %v, want only old.tar.gz and site", left)
	}
	if b, _ := os.ReadFile(filepath.Join(e.root, "old.tar.gz")); string(b) != "the old archive" {
		t.Errorf("old.tar.gz holds %q", b)
	}
}

// TestFullDiskExtract: an extraction that ran out of room said "no
// space left on device" in the words of the system, not what it had left
// of dest nor what to do.
func TestFullDiskExtract(t *testing.T) {
	e := newEnv(t)
	write(t, e.root, map[string]string{"site/a.txt": "small", "site/z.txt": strings.Repeat("x", 4096)})
	if _, err := e.run("archive.create", map[string]any{"src": "site", "dest": "site.tar.gz"}); err != nil {
		t.Fatal(err)
	}
	diskFull(t, 1024)

	_, err := e.run("archive.extract", map[string]any{"src": "site.tar.gz", "dest": "new/site"})
	wantAll(t, "into a new directory", err, "archive site.tar.gz could not be extracted: no space left on the file system",
		`(at entry "z.txt")`, "new/site, which it had made, was removed", "free space (df -h "+e.root+") and run the step again")
	if _, serr := os.Lstat(filepath.Join(e.root, "new")); serr == nil {
		t.Errorf("new was left behind")
	}

	write(t, e.root, map[string]string{"into/": ""})
	_, err = e.run("archive.extract", map[string]any{"src": "site.tar.gz", "dest": "into"})
	wantAll(t, "into a directory that exists", err, "of its entries had been written to into, the one cut short removed",
		"free space (df -h "+filepath.Join(e.root, "into")+")")
	if _, serr := os.Lstat(filepath.Join(e.root, "into", "z.txt")); serr == nil {
		t.Errorf("the entry cut short was left behind")
	}
}
