package fileop

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/arsenal-run/arsenal-run/pkg/ops"
	"github.com/arsenal-run/arsenal-run/pkg/ops/internal/opstest"
)

// scope is a fake authorization scope that sets the file roots.
type scope struct{ roots []string }

func (s scope) FileRoots() []string { return s.roots }

var _ RootsScope = scope{}

type env struct {
	t    *testing.T
	r    *ops.Registry
	root string // the only allowed root
	out  string // a directory outside it
	ctx  context.Context
}

func newEnv(t *testing.T) *env {
	t.Helper()
	r := ops.NewRegistry()
	if err := Register(r); err != nil {
		t.Fatal(err)
	}
	base := t.TempDir()
	e := &env{t: t, r: r, root: filepath.Join(base, "root"), out: filepath.Join(base, "outside")}
	for _, d := range []string{e.root, e.out, filepath.Join(e.root, "sub")} {
		if err := os.Mkdir(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	e.ctx = ops.WithCall(context.Background(), &ops.Call{Dir: e.root, Scope: scope{[]string{e.root}}})
	return e
}

func (e *env) run(op string, raw map[string]any) (map[string]any, error) {
	return opstest.Execute(e.r, e.ctx, op, raw)
}

func (e *env) file(rel, content string) string {
	e.t.Helper()
	p := filepath.Join(e.root, rel)
	if filepath.IsAbs(rel) {
		p = rel
	}
	if err := os.WriteFile(p, []byte(content), 0o640); err != nil {
		e.t.Fatal(err)
	}
	return p
}

func TestReadWriteStatDelete(t *testing.T) {
	e := newEnv(t)
	out, err := e.run("file.write", map[string]any{"path": "notes.txt", "content": "hello\n"})
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(e.root, "notes.txt")
	if diff := cmp.Diff(map[string]any{"bytes": 6, "changed": true, "path": p}, out); diff != "" {
		t.Errorf("write (-want +got):\n%s", diff)
	}
	out, err = e.run("file.write", map[string]any{"path": p, "content": "more\n", "append": true})
	if err != nil || out["bytes"] != 5 {
		t.Fatalf("append: %v %v", out, err)
	}
	out, err = e.run("file.read", map[string]any{"path": "notes.txt"})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(map[string]any{"content": "hello\nmore\n", "size": 11, "truncated": false, "path": p}, out); diff != "" {
		t.Errorf("read (-want +got):\n%s", diff)
	}
	out, err = e.run("file.stat", map[string]any{"path": "notes.txt"})
	if err != nil {
		t.Fatal(err)
	}
	mtime, _ := time.Parse(time.RFC3339Nano, out["mtime"].(string))
	if time.Since(mtime) > time.Hour {
		t.Errorf("mtime %v", out["mtime"])
	}
	delete(out, "mtime")
	want := map[string]any{"exists": true, "size": 11, "mode": "0644", "is_dir": false, "is_symlink": false, "type": "file", "path": p}
	if diff := cmp.Diff(want, out); diff != "" {
		t.Errorf("stat (-want +got):\n%s", diff)
	}
	out, err = e.run("file.delete", map[string]any{"path": "notes.txt"})
	if err != nil || out["deleted"] != true {
		t.Fatalf("delete: %v %v", out, err)
	}
	out, err = e.run("file.stat", map[string]any{"path": "notes.txt"})
	want = map[string]any{"exists": false, "size": 0, "mode": nil, "mtime": nil, "is_dir": false, "is_symlink": false, "type": nil, "path": p}
	if diff := cmp.Diff(want, out); err != nil || diff != "" {
		t.Errorf("stat of a missing file (-want +got):\n%s %v", diff, err)
	}
	out, err = e.run("file.delete", map[string]any{"path": "notes.txt", "missing_ok": true})
	if err != nil || out["deleted"] != false {
		t.Errorf("delete missing_ok: %v %v", out, err)
	}
	if _, err = e.run("file.delete", map[string]any{"path": "notes.txt"}); err == nil || !strings.Contains(err.Error(), "missing_ok") {
		t.Errorf("delete of a missing file: %v", err)
	}
}

func TestWriteIsAtomicAndKeepsMode(t *testing.T) {
	e := newEnv(t)
	p := e.file("app.conf", "old")
	if err := os.Chmod(p, 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := e.run("file.write", map[string]any{"path": "app.conf", "content": "new"}); err != nil {
		t.Fatal(err)
	}
	fi, _ := os.Stat(p)
	b, _ := os.ReadFile(p)
	if string(b) != "new" || fi.Mode().Perm() != 0o600 {
		t.Errorf("content %q mode %v; want new and the old mode 0600", b, fi.Mode().Perm())
	}
	if _, err := e.run("file.write", map[string]any{"path": "app.conf", "content": "x", "mode": "0755"}); err != nil {
		t.Fatal(err)
	}
	if fi, _ := os.Stat(p); fi.Mode().Perm() != 0o755 {
		t.Errorf("mode %v, want 0755", fi.Mode().Perm())
	}
	entries, _ := os.ReadDir(e.root)
	for _, en := range entries {
		if strings.Contains(en.Name(), "arsenal-tmp") {
			t.Errorf("temporary file %s left behind", en.Name())
		}
	}
	if _, err := e.run("file.write", map[string]any{"path": "a/b/c.txt", "content": "deep"}); err == nil || !strings.Contains(err.Error(), "create_dirs") {
		t.Errorf("missing directory: %v", err)
	}
	if _, err := e.run("file.write", map[string]any{"path": "a/b/c.txt", "content": "deep", "create_dirs": true}); err != nil {
		t.Errorf("create_dirs: %v", err)
	}
	if _, err := e.run("file.write", map[string]any{"path": "sub", "content": "x"}); err == nil || !strings.Contains(err.Error(), "is a directory") {
		t.Errorf("writing over a directory: %v", err)
	}
}

func TestPathsCannotLeaveTheRoots(t *testing.T) {
	e := newEnv(t)
	secret := e.file(filepath.Join(e.out, "secret"), "top secret")
	if err := os.Symlink(secret, filepath.Join(e.root, "link-out")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(e.out, filepath.Join(e.root, "dir-out")); err != nil {
		t.Fatal(err)
	}
	e.file("inside", "fine")
	if err := os.Symlink("inside", filepath.Join(e.root, "link-in")); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		op  string
		raw map[string]any
	}{
		{"file.read", map[string]any{"path": secret}},
		{"file.read", map[string]any{"path": "../outside/secret"}},
		{"file.read", map[string]any{"path": "sub/../../outside/secret"}},
		{"file.read", map[string]any{"path": "link-out"}},
		{"file.read", map[string]any{"path": "dir-out/secret"}},
		{"file.stat", map[string]any{"path": "link-out"}},
		{"file.write", map[string]any{"path": "dir-out/secret", "content": "pwned"}},
		{"file.write", map[string]any{"path": "../outside/new", "content": "pwned"}},
		{"file.delete", map[string]any{"path": "dir-out/secret"}},
		{"file.delete", map[string]any{"path": "/etc/passwd"}},
	}
	for _, tc := range tests {
		_, err := e.run(tc.op, tc.raw)
		if err == nil {
			t.Errorf("%s %v: allowed", tc.op, tc.raw)
			continue
		}
		if !errors.Is(err, ops.ErrDenied) || ops.ClassOf(err) != ops.ClassAuthorization {
			t.Errorf("%s %v: error %v (class %s), want authorization", tc.op, tc.raw, err, ops.ClassOf(err))
		}
		if !strings.Contains(err.Error(), tc.raw["path"].(string)) || !strings.Contains(err.Error(), e.root) {
			t.Errorf("%s: error %q should name the path and the roots", tc.op, err)
		}
	}
	if b, _ := os.ReadFile(secret); string(b) != "top secret" {
		t.Errorf("the file outside was changed: %q", b)
	}
	out, err := e.run("file.read", map[string]any{"path": "link-in"})
	if err != nil || out["content"] != "fine" {
		t.Errorf("a symlink inside the root: %v %v", out, err)
	}
	out, err = e.run("file.stat", map[string]any{"path": "link-in"})
	if err != nil || out["is_symlink"] != true || out["type"] != "file" {
		t.Errorf("stat of a symlink inside the root: %v %v", out, err)
	}
	out, err = e.run("file.delete", map[string]any{"path": "link-out"})
	if err != nil || out["deleted"] != true {
		t.Errorf("deleting a link that points outside removes the link: %v %v", out, err)
	}
	if _, err := os.Stat(secret); err != nil {
		t.Errorf("the link's target was removed: %v", err)
	}
}

func TestDefaultRoots(t *testing.T) {
	r := ops.NewRegistry()
	if err := Register(r); err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(t.TempDir(), "x")
	if _, err := opstest.Execute(r, context.Background(), "file.write", map[string]any{"path": p, "content": "ok"}); err != nil {
		t.Errorf("the temp dir is a default root: %v", err)
	}
	_, err := opstest.Execute(r, context.Background(), "file.read", map[string]any{"path": "/etc/hostname"})
	if !errors.Is(err, ops.ErrDenied) {
		t.Errorf("/etc is not a default root: %v", err)
	}
	ctx := ops.WithCall(context.Background(), &ops.Call{Scope: scope{[]string{}}})
	if _, err := opstest.Execute(r, ctx, "file.stat", map[string]any{"path": p}); !errors.Is(err, ops.ErrDenied) || !strings.Contains(err.Error(), "allows no file access") {
		t.Errorf("a scope with an empty list of roots allows nothing: %v", err)
	}
	ctx = ops.WithCall(context.Background(), &ops.Call{Scope: scope{}})
	if _, err := opstest.Execute(r, ctx, "file.stat", map[string]any{"path": p}); err != nil {
		t.Errorf("a scope with nil roots keeps the defaults: %v", err)
	}
}

func TestReadOnlyRegularFiles(t *testing.T) {
	e := newEnv(t)
	fifo := filepath.Join(e.root, "fifo")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { _, err := e.run("file.read", map[string]any{"path": "fifo"}); done <- err }()
	select {
	case err := <-done:
		if err == nil || !strings.Contains(err.Error(), "not a regular file but a fifo") {
			t.Errorf("reading a FIFO: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("reading a FIFO blocked")
	}
	if _, err := e.run("file.read", map[string]any{"path": "sub"}); err == nil || !strings.Contains(err.Error(), "a dir") {
		t.Errorf("reading a directory: %v", err)
	}
	if _, err := e.run("file.read", map[string]any{"path": "missing"}); err == nil || ops.ClassOf(err) != ops.ClassExecution || !strings.Contains(err.Error(), "does not exist") {
		t.Errorf("reading a missing file: %v", err)
	}
}

func TestReadCapsAndEncodes(t *testing.T) {
	e := newEnv(t)
	big := "HEAD" + strings.Repeat("x", 10000) + "TAIL"
	e.file("big", big)
	out, err := e.run("file.read", map[string]any{"path": "big", "max_bytes": 100})
	if err != nil {
		t.Fatal(err)
	}
	c := out["content"].(string)
	if !strings.HasPrefix(c, "HEAD") || !strings.HasSuffix(c, "TAIL") || !strings.Contains(c, "9908 bytes truncated") || out["truncated"] != true || out["size"] != 10008 {
		t.Errorf("capped read: %q %v", c, out)
	}
	e.file("bin", "\x00\xff\xfe ok")
	out, err = e.run("file.read", map[string]any{"path": "bin"})
	if err != nil || out["content"] != "\x00\uFFFD ok" {
		t.Errorf("binary as text: %q %v", out["content"], err)
	}
	out, err = e.run("file.read", map[string]any{"path": "bin", "encoding": "base64"})
	if err != nil || out["content"] != base64.StdEncoding.EncodeToString([]byte("\x00\xff\xfe ok")) {
		t.Errorf("binary as base64: %v %v", out, err)
	}
}

func TestBadParams(t *testing.T) {
	e := newEnv(t)
	tests := []struct {
		op   string
		raw  map[string]any
		want string
	}{
		{"file.read", map[string]any{}, "param path: is required"},
		{"file.read", map[string]any{"path": ""}, "is empty"},
		{"file.read", map[string]any{"path": "a\x00b"}, "NUL"},
		{"file.read", map[string]any{"path": "a", "max_bytes": 0}, "below the minimum"},
		{"file.read", map[string]any{"path": "a", "encoding": "hex"}, "not one of text, base64"},
		{"file.write", map[string]any{"path": "a"}, "param content: is required"},
		{"file.write", map[string]any{"path": "a", "content": "", "mode": "rw-r--r--"}, "not an octal permission"},
		{"file.delete", map[string]any{"path": "a", "recursive": true}, "unknown parameter"},
		// An unquoted 0644 reaches the op as YAML's number 420.
		{"file.write", map[string]any{"path": "a", "content": "", "mode": 420}, `want a string, got integer; quote the mode, like "0644"`},
		{"file.template", map[string]any{"path": "a", "content": "", "mode": 420}, `quote the mode, like "0644"`},
		{"file.mkdir", map[string]any{"path": "a", "mode": 493}, `quote the mode, like "0644"`},
		{"file.chmod", map[string]any{"path": "a", "mode": 493}, `quote the mode, like "0644"`},
	}
	for _, tc := range tests {
		_, err := e.run(tc.op, tc.raw)
		if err == nil || ops.ClassOf(err) != ops.ClassValidation || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s %v: error %v, want a validation error containing %q", tc.op, tc.raw, err, tc.want)
		}
	}
}

func TestCancelledWriteLeavesNothing(t *testing.T) {
	e := newEnv(t)
	ctx, cancel := context.WithCancel(e.ctx)
	cancel()
	_, err := opstest.Execute(e.r, ctx, "file.write", map[string]any{"path": "never", "content": "x"})
	if !errors.Is(err, context.Canceled) {
		t.Errorf("error %v, want cancelled", err)
	}
	if _, err := os.Stat(filepath.Join(e.root, "never")); !errors.Is(err, os.ErrNotExist) {
		t.Error("a cancelled write created the file")
	}
}

// TestAppendOnlyToRegularFiles: appending to a FIFO that nobody reads
// would block past the step's timeout; it is refused at once, like any
// target that is not a regular file.
func TestAppendOnlyToRegularFiles(t *testing.T) {
	e := newEnv(t)
	fifo := filepath.Join(e.root, "fifo")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() {
		_, err := e.run("file.write", map[string]any{"path": "fifo", "content": "x", "append": true})
		done <- err
	}()
	select {
	case err := <-done:
		if err == nil || !strings.Contains(err.Error(), "not a regular file but a fifo") || ops.ClassOf(err) != ops.ClassExecution {
			t.Errorf("appending to a FIFO: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("appending to a FIFO blocked")
	}
	if _, err := e.run("file.write", map[string]any{"path": "sub", "content": "x", "append": true}); err == nil {
		t.Error("appending to a directory succeeded")
	}
	if _, err := e.run("file.write", map[string]any{"path": "log", "content": "a\n", "append": true}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.run("file.write", map[string]any{"path": "log", "content": "b\n", "append": true}); err != nil {
		t.Fatal(err)
	}
	if got, _ := os.ReadFile(filepath.Join(e.root, "log")); string(got) != "a\nb\n" {
		t.Errorf("appended %q", got)
	}
}

// TestMissingRelativePathsSayWhereTheyWereLooked: every "does not exist"
// of a relative path, not only those of reads, names the absolute path
// that was looked for.
func TestMissingRelativePathsSayWhereTheyWereLooked(t *testing.T) {
	e := newEnv(t)
	note := func(rel string) string {
		return " (relative paths resolve against the playbook's directory: looked for " + filepath.Join(e.root, rel) + ")"
	}
	for _, tc := range []struct {
		op   string
		with map[string]any
		want string
	}{
		{"file.template", map[string]any{"src": "nope.tmpl", "dest": "out.txt"}, "template nope.tmpl does not exist" + note("nope.tmpl")},
		{"file.delete", map[string]any{"path": "nope.txt"}, "nope.txt does not exist" + note("nope.txt") + "; set missing_ok: true if that is fine"},
		{"file.delete", map[string]any{"paths": []any{"nope.txt"}}, "nope.txt does not exist" + note("nope.txt") + ", so nothing was deleted; set missing_ok: true to skip missing files"},
		{"file.write", map[string]any{"path": "nodir/x.txt", "content": "x"}, "the directory of nodir/x.txt does not exist" + note("nodir/x.txt") + "; create it or set create_dirs: true"},
		{"file.rotate", map[string]any{"path": "nope.log"}, "nope.log does not exist" + note("nope.log") + "; set missing_ok: true if that is fine"},
	} {
		_, err := e.run(tc.op, tc.with)
		if err == nil || err.Error() != tc.want {
			t.Errorf("%s %v: %v\nwant %s", tc.op, tc.with, err, tc.want)
		}
	}
}

// A file too large to read whole is kept as its head and its tail; a secret
// of the run that crosses either cut is left out, not kept as two halves.
func TestReadCutKeepsNoPieceOfASecret(t *testing.T) {
	e := newEnv(t)
	const secret = "ghp_ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789abcd"
	e.ctx = ops.WithCall(context.Background(), &ops.Call{Dir: e.root, Scope: scope{[]string{e.root}}, Secrets: []string{secret}})
	e.file("data.txt", "xxxxxxxxxx"+secret+strings.Repeat("y", 36)+secret+"zzzzzzzzzz")
	out, err := e.run("file.read", map[string]any{"path": "data.txt", "max_bytes": 64})
	if err != nil {
		t.Fatal(err)
	}
	c := out["content"].(string)
	if !strings.HasPrefix(c, "xxxxxxxxxx\n[... ") || !strings.HasSuffix(c, " bytes truncated ...]\nzzzzzzzzzz") || out["truncated"] != true {
		t.Errorf("content = %q, want the x's and z's around the line saying what was cut", c)
	}
}

// TestReadOfAFileCutShorterMeanwhile: a log a copytruncate cut after
// file.read opened it is read as it is now, never with zeros for the
// bytes it no longer holds.
func TestReadOfAFileCutShorterMeanwhile(t *testing.T) {
	e := newEnv(t)
	f, err := os.Open(e.file("app.log", "after the cut\n"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	// The size when it was opened, before the cut.
	parts, size, truncated, err := readCapped(e.ctx, f, 5000, 100)
	got := bytes.Join(parts, nil)
	if err != nil || string(got) != "after the cut\n" || size != 14 || truncated {
		t.Errorf("read %q, size %d, truncated %v, %v; want the 14 bytes the file holds", got, size, truncated, err)
	}
}
