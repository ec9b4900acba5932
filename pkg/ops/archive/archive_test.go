package archive

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/arsenal-run/arsenal-run/pkg/ops"
	"github.com/arsenal-run/arsenal-run/pkg/ops/internal/opstest"
)

type scope struct{ roots []string }

func (s scope) FileRoots() []string { return s.roots }

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
	for _, d := range []string{e.root, e.out} {
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

// write makes files under dir: a name ending in / is a directory, "->" in
// the content makes a symlink.
func write(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for name, content := range files {
		p := filepath.Join(dir, name)
		if strings.HasSuffix(name, "/") {
			if err := os.MkdirAll(p, 0o755); err != nil {
				t.Fatal(err)
			}
			continue
		}
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if target, ok := strings.CutPrefix(content, "->"); ok {
			if err := os.Symlink(target, p); err != nil {
				t.Fatal(err)
			}
			continue
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// snapshot describes a tree: name -> "file 0644 content", "dir 0755",
// "link target".
func snapshot(t *testing.T, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		if rel == "." {
			return nil
		}
		fi, err := os.Lstat(p)
		if err != nil {
			return err
		}
		switch {
		case fi.Mode()&fs.ModeSymlink != 0:
			l, _ := os.Readlink(p)
			out[rel] = "link " + l
		case fi.IsDir():
			out[rel] = "dir " + fi.Mode().Perm().String()
		case !fi.Mode().IsRegular():
			out[rel] = fi.Mode().Type().String()
		default:
			b, _ := os.ReadFile(p)
			out[rel] = "file " + fi.Mode().Perm().String() + " " + string(b)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestCreateAndExtractRoundTrip(t *testing.T) {
	for _, format := range []string{"tar.gz", "zip"} {
		t.Run(format, func(t *testing.T) {
			e := newEnv(t)
			src := filepath.Join(e.root, "app")
			write(t, src, map[string]string{
				"config.yaml":       "port: 80\n",
				"bin/run.sh":        "#!/bin/sh\necho hi\n",
				"data/empty/":       "",
				"data/current":      "->../config.yaml",
				"data/logs/a.log":   strings.Repeat("log line\n", 1000),
				".hidden":           "h",
				"data/logs/b.log.1": "",
			})
			if err := os.Chmod(filepath.Join(src, "bin/run.sh"), 0o750); err != nil {
				t.Fatal(err)
			}
			if err := syscall.Mkfifo(filepath.Join(src, "fifo"), 0o644); err != nil {
				t.Fatal(err)
			}
			archive := "backup/app." + format
			out, err := e.run("archive.create", map[string]any{"src": "app", "dest": archive, "create_dirs": true})
			if err != nil {
				t.Fatal(err)
			}
			size := out["size"].(int64)
			delete(out, "size")
			want := map[string]any{"path": filepath.Join(e.root, archive), "format": format, "entries": 10, "bytes": int64(9000 + 9 + 18 + 1), "skipped": []any{"fifo"}}
			if diff := cmp.Diff(want, out); diff != "" || size <= 0 {
				t.Errorf("create (-want +got):\n%s size %d", diff, size)
			}
			if _, err := e.run("archive.create", map[string]any{"src": "app", "dest": archive}); err == nil || !strings.Contains(err.Error(), "set overwrite: true") {
				t.Errorf("create over an existing archive: %v", err)
			}
			if _, err := e.run("archive.create", map[string]any{"src": "app", "dest": archive, "overwrite": true}); err != nil {
				t.Errorf("create with overwrite: %v", err)
			}

			out, err = e.run("archive.extract", map[string]any{"src": archive, "dest": "restored"})
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(map[string]any{"dest": filepath.Join(e.root, "restored"), "entries": 10, "files": 5, "bytes": int64(9028)}, out); diff != "" {
				t.Errorf("extract (-want +got):\n%s", diff)
			}
			wantTree := snapshot(t, src)
			delete(wantTree, "fifo")
			if diff := cmp.Diff(wantTree, snapshot(t, filepath.Join(e.root, "restored"))); diff != "" {
				t.Errorf("restored tree (-want +got):\n%s", diff)
			}
			// Again into the same place: every file exists.
			_, err = e.run("archive.extract", map[string]any{"src": archive, "dest": "restored"})
			if err == nil || !strings.Contains(err.Error(), "already exists in the destination; set overwrite: true") || !strings.Contains(err.Error(), "nothing was written") {
				t.Errorf("extract over existing files: %v", err)
			}
			if err := os.WriteFile(filepath.Join(e.root, "restored/config.yaml"), []byte("changed"), 0o644); err != nil {
				t.Fatal(err)
			}
			if _, err := e.run("archive.extract", map[string]any{"src": archive, "dest": "restored", "overwrite": true}); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(wantTree, snapshot(t, filepath.Join(e.root, "restored"))); diff != "" {
				t.Errorf("tree after overwrite (-want +got):\n%s", diff)
			}
		})
	}
}

func TestCreateOneFileAndInsideItself(t *testing.T) {
	e := newEnv(t)
	write(t, e.root, map[string]string{"logs/app.log": "x\n", "logs/old.log": "y\n"})
	// The archive lands in the tree it packs and is left out of itself.
	out, err := e.run("archive.create", map[string]any{"src": "logs", "dest": "logs/all.tgz"})
	if err != nil {
		t.Fatal(err)
	}
	if out["entries"] != 2 || out["format"] != "tar.gz" {
		t.Errorf("packing a tree into itself: %v", out)
	}
	if _, err := e.run("archive.extract", map[string]any{"src": "logs/all.tgz", "dest": "x"}); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(map[string]string{"app.log": "file -rw-r--r-- x\n", "old.log": "file -rw-r--r-- y\n"}, snapshot(t, filepath.Join(e.root, "x"))); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	out, err = e.run("archive.create", map[string]any{"src": "logs/app.log", "dest": "one.zip"})
	if err != nil || out["entries"] != 1 {
		t.Fatalf("one file: %v %v", out, err)
	}
	if _, err := e.run("archive.extract", map[string]any{"src": "one.zip", "dest": "y"}); err != nil {
		t.Fatal(err)
	}
	if got := snapshot(t, filepath.Join(e.root, "y")); got["app.log"] != "file -rw-r--r-- x\n" || len(got) != 1 {
		t.Errorf("one file: %v", got)
	}
}

func TestArchivePathsStayInsideTheRoots(t *testing.T) {
	e := newEnv(t)
	write(t, e.root, map[string]string{"data/a": "a", "dir-out": "->" + e.out})
	write(t, e.out, map[string]string{"secret": "s"})
	tests := []struct {
		op       string
		src, dst string
		bad      string
	}{
		{"archive.create", "data", "dir-out/x.tar.gz", "dir-out/x.tar.gz"},
		{"archive.create", "dir-out", "x.tar.gz", "dir-out"},
		{"archive.create", e.out, "x.tar.gz", e.out},
		{"archive.create", "data", "../outside/x.zip", "../outside/x.zip"},
		{"archive.extract", filepath.Join(e.out, "secret"), "x", "secret"},
		{"archive.extract", "x.tgz", "dir-out/unpacked", "dir-out/unpacked"},
	}
	if _, err := e.run("archive.create", map[string]any{"src": "data", "dest": "x.tgz"}); err != nil {
		t.Fatal(err)
	}
	for _, tc := range tests {
		_, err := e.run(tc.op, map[string]any{"src": tc.src, "dest": tc.dst})
		if !errors.Is(err, ops.ErrDenied) || ops.ClassOf(err) != ops.ClassAuthorization || !strings.Contains(err.Error(), tc.bad) || !strings.Contains(err.Error(), "file_roots") {
			t.Errorf("%s %s -> %s: %v, want a denial naming %s and file_roots", tc.op, tc.src, tc.dst, err, tc.bad)
		}
	}
	entries, _ := os.ReadDir(e.out)
	if len(entries) != 1 {
		t.Errorf("the directory outside holds %v", entries)
	}
}

func TestArchiveParamErrors(t *testing.T) {
	e := newEnv(t)
	write(t, e.root, map[string]string{"data/a": "a", "not-an-archive": "hello"})
	tests := []struct {
		op    string
		raw   map[string]any
		class ops.Class
		want  string
	}{
		{"archive.create", map[string]any{"src": "data", "dest": "x.rar"}, ops.ClassValidation, "cannot tell the format"},
		{"archive.create", map[string]any{"src": "data", "dest": "x", "format": "rar"}, ops.ClassValidation, "not one of"},
		{"archive.create", map[string]any{"src": "", "dest": "x.zip"}, ops.ClassValidation, "is empty"},
		{"archive.create", map[string]any{"src": "missing", "dest": "x.zip"}, ops.ClassExecution, "does not exist"},
		{"archive.create", map[string]any{"src": "data", "dest": "no/dir/x.zip"}, ops.ClassExecution, "create_dirs: true"},
		{"archive.extract", map[string]any{"src": "not-an-archive", "dest": "x"}, ops.ClassExecution, "not a gzip or zip file"},
		{"archive.extract", map[string]any{"src": "not-an-archive", "dest": "x", "format": "zip"}, ops.ClassExecution, "not a zip file"},
		{"archive.extract", map[string]any{"src": "data", "dest": "x"}, ops.ClassExecution, "not a regular file"},
		{"archive.extract", map[string]any{"src": "missing.zip", "dest": "x"}, ops.ClassExecution, "does not exist"},
		{"archive.extract", map[string]any{"src": "a.zip", "dest": "x", "max_ratio": 0}, ops.ClassValidation, "below the minimum"},
	}
	for _, tc := range tests {
		_, err := e.run(tc.op, tc.raw)
		if err == nil || ops.ClassOf(err) != tc.class || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s %v: %v (class %s), want %s containing %q", tc.op, tc.raw, err, ops.ClassOf(err), tc.class, tc.want)
		}
	}
	names, _ := os.ReadDir(e.root)
	var got []string
	for _, n := range names {
		got = append(got, n.Name())
	}
	sort.Strings(got)
	if diff := cmp.Diff([]string{"data", "not-an-archive"}, got); diff != "" {
		t.Errorf("files left by failed steps (-want +got):\n%s", diff)
	}
}
