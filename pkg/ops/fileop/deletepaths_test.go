package fileop

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/arsenal-run/arsenal-run/pkg/ops"
)

func TestDeletePathsFromFind(t *testing.T) {
	e := newEnv(t)
	e.tree(map[string]string{"cache/a.tmp": "a", "cache/b/c.tmp": "c", "cache/keep.txt": "k"},
		map[string]time.Duration{"cache/a.tmp": 48 * time.Hour, "cache/b/c.tmp": 48 * time.Hour})
	found, err := e.run("file.find", map[string]any{"path": "cache", "pattern": "*.tmp", "older_than": "1d"})
	if err != nil {
		t.Fatal(err)
	}
	out, err := e.run("file.delete", map[string]any{"paths": found["paths"]})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]any{"deleted": 2, "paths": e.abs("cache/a.tmp", "cache/b/c.tmp")}
	if diff := cmp.Diff(want, out); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	if read(t, filepath.Join(e.root, "cache/keep.txt")) != "k" {
		t.Error("a file not in paths changed")
	}
	out, err = e.run("file.delete", map[string]any{"paths": []any{}})
	if err != nil || out["deleted"] != 0 {
		t.Errorf("an empty list: %v %v", out, err)
	}
	// Relative paths, duplicates and missing files with missing_ok.
	e.file("x", "x")
	out, err = e.run("file.delete", map[string]any{"paths": []any{"x", filepath.Join(e.root, "x"), "gone"}, "missing_ok": true})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(map[string]any{"deleted": 1, "paths": e.abs("x")}, out); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func TestDeletePathsChecksEveryPathFirst(t *testing.T) {
	e := newEnv(t)
	secret := e.file(filepath.Join(e.out, "secret"), "s")
	if err := os.Symlink(e.out, filepath.Join(e.root, "dir-out")); err != nil {
		t.Fatal(err)
	}
	a := e.file("a", "a")
	tests := []struct {
		paths []any
		class ops.Class
		want  string
	}{
		{[]any{a, secret}, ops.ClassAuthorization, "file_roots"},
		{[]any{a, "dir-out/secret"}, ops.ClassAuthorization, "file_roots"},
		{[]any{a, "missing"}, ops.ClassExecution, "nothing was deleted; set missing_ok"},
		{[]any{a, "sub"}, ops.ClassExecution, "is a directory, so nothing was deleted"},
	}
	for _, tc := range tests {
		_, err := e.run("file.delete", map[string]any{"paths": tc.paths})
		if err == nil || ops.ClassOf(err) != tc.class || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("delete %v: %v (class %s), want %s containing %q", tc.paths, err, ops.ClassOf(err), tc.class, tc.want)
		}
		if _, err := os.Stat(a); err != nil {
			t.Fatalf("delete %v removed %s before refusing: %v", tc.paths, a, err)
		}
	}
	if _, err := os.Stat(secret); err != nil {
		t.Errorf("the file outside the roots: %v", err)
	}
	bad := []struct {
		raw  map[string]any
		want string
	}{
		{map[string]any{}, "give path (one file) or paths"},
		{map[string]any{"path": "a", "paths": []any{"a"}}, "not both"},
		{map[string]any{"paths": []any{"a", ""}}, "item 1 is empty"},
		{map[string]any{"paths": []any{"a", 3}}, "item 1"},
		{map[string]any{"paths": "a"}, "want a list"},
	}
	for _, tc := range bad {
		if _, err := e.run("file.delete", tc.raw); ops.ClassOf(err) != ops.ClassValidation || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("delete %v: %v, want a validation error containing %q", tc.raw, err, tc.want)
		}
	}
	if _, err := os.Stat(a); errors.Is(err, fs.ErrNotExist) {
		t.Error("a refused delete removed a file")
	}
}
