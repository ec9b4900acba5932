package fileop

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/arsenal-run/arsenal-run/pkg/ops"
)

// tree lays out files under e.root: rel -> content, with the given age.
func (e *env) tree(files map[string]string, ages map[string]time.Duration) {
	e.t.Helper()
	for rel, content := range files {
		p := filepath.Join(e.root, rel)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			e.t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			e.t.Fatal(err)
		}
	}
	for rel, age := range ages {
		at := time.Now().Add(-age)
		if err := os.Chtimes(filepath.Join(e.root, rel), at, at); err != nil {
			e.t.Fatal(err)
		}
	}
}

func (e *env) abs(rels ...string) []any {
	out := make([]any, len(rels))
	for i, r := range rels {
		out[i] = filepath.Join(e.root, r)
	}
	return out
}

func TestFind(t *testing.T) {
	e := newEnv(t)
	day := 24 * time.Hour
	e.tree(map[string]string{
		"logs/app.log":        "0123456789",
		"logs/app.log.1":      "01234",
		"logs/old/app.log":    "012345678901234567890",
		"logs/old/keep.txt":   "x",
		"cache/a.tmp":         "aaa",
		"cache/deep/er/b.tmp": "bb",
		"top.log":             "t",
	}, map[string]time.Duration{
		"logs/old/app.log":    10 * day,
		"logs/app.log.1":      8 * day,
		"cache/deep/er/b.tmp": 2 * time.Hour,
	})
	if err := os.Symlink(filepath.Join(e.root, "logs"), filepath.Join(e.root, "logs-link")); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		raw  map[string]any
		want map[string]any
	}{
		{"a glob matches the base name at any depth", map[string]any{"pattern": "*.log"},
			map[string]any{"paths": e.abs("logs/app.log", "logs/old/app.log", "top.log"), "count": 3, "bytes": int64(32), "truncated": false}},
		{"** spans directories", map[string]any{"pattern": "cache/**/*.tmp"},
			map[string]any{"paths": e.abs("cache/a.tmp", "cache/deep/er/b.tmp"), "count": 2, "bytes": int64(5), "truncated": false}},
		{"a list of globs", map[string]any{"pattern": []any{"logs/*.log*", "top.*"}},
			map[string]any{"paths": e.abs("logs/app.log", "logs/app.log.1", "top.log"), "count": 3, "bytes": int64(16), "truncated": false}},
		{"older_than in days", map[string]any{"path": "logs", "older_than": "7d"},
			map[string]any{"paths": e.abs("logs/app.log.1", "logs/old/app.log"), "count": 2, "bytes": int64(26), "truncated": false}},
		{"newer_than", map[string]any{"path": "cache", "newer_than": "1h"},
			map[string]any{"paths": e.abs("cache/a.tmp"), "count": 1, "bytes": int64(3), "truncated": false}},
		{"min_size and max_size", map[string]any{"min_size": 5, "max_size": 10},
			map[string]any{"paths": e.abs("logs/app.log", "logs/app.log.1"), "count": 2, "bytes": int64(15), "truncated": false}},
		{"name_regex", map[string]any{"name_regex": `^app\.log\.\d+$`},
			map[string]any{"paths": e.abs("logs/app.log.1"), "count": 1, "bytes": int64(5), "truncated": false}},
		{"directories", map[string]any{"type": "dir", "pattern": "**/deep*"},
			map[string]any{"paths": e.abs("cache/deep"), "count": 1, "bytes": int64(0), "truncated": false}},
		{"symlinks are listed, not followed", map[string]any{"type": "symlink"},
			map[string]any{"paths": e.abs("logs-link"), "count": 1, "bytes": int64(0), "truncated": false}},
		{"limit keeps count and bytes whole", map[string]any{"pattern": "*.log*", "limit": 2},
			map[string]any{"paths": e.abs("logs/app.log", "logs/app.log.1"), "count": 4, "bytes": int64(37), "truncated": true}},
		{"nothing matches", map[string]any{"pattern": "*.gz"},
			map[string]any{"paths": []any{}, "count": 0, "bytes": int64(0), "truncated": false}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			raw := map[string]any{"path": "."}
			for k, v := range tc.raw {
				raw[k] = v
			}
			got, err := e.run("file.find", raw)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestFindStaysInsideTheRoots(t *testing.T) {
	e := newEnv(t)
	e.file(filepath.Join(e.out, "secret.log"), "s")
	if err := os.Symlink(e.out, filepath.Join(e.root, "dir-out")); err != nil {
		t.Fatal(err)
	}
	e.tree(map[string]string{"in.log": "i"}, nil)
	// A symlinked directory inside the tree is listed as a link, never
	// walked into.
	got, err := e.run("file.find", map[string]any{"path": ".", "pattern": "**/*.log", "type": "any"})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(e.abs("in.log"), got["paths"]); diff != "" {
		t.Errorf("paths (-want +got):\n%s", diff)
	}
	for _, path := range []string{"dir-out", e.out, "../outside", "sub/../../outside"} {
		_, err := e.run("file.find", map[string]any{"path": path})
		if !errors.Is(err, ops.ErrDenied) || ops.ClassOf(err) != ops.ClassAuthorization || !strings.Contains(err.Error(), "file_roots") {
			t.Errorf("find %s: %v, want a denial that names file_roots", path, err)
		}
	}
}

func TestFindFailures(t *testing.T) {
	e := newEnv(t)
	e.file("plain", "x")
	tests := []struct {
		raw   map[string]any
		class ops.Class
		want  string
	}{
		{map[string]any{"path": "missing"}, ops.ClassExecution, "missing does not exist"},
		{map[string]any{"path": "plain"}, ops.ClassExecution, "not a directory"},
		{map[string]any{"path": ".", "pattern": "[a-"}, ops.ClassValidation, "not a valid glob"},
		{map[string]any{"path": ".", "pattern": 3}, ops.ClassValidation, "want a glob or a list of globs"},
		{map[string]any{"path": ".", "pattern": []any{"*.log", 3}}, ops.ClassValidation, "item 1"},
		{map[string]any{"path": ".", "name_regex": "(unclosed"}, ops.ClassValidation, "not a valid regular expression"},
		{map[string]any{"path": ".", "older_than": "seven days"}, ops.ClassValidation, "like 30s, 5m or 7d"},
		{map[string]any{"path": ".", "type": "socket"}, ops.ClassValidation, "not one of"},
		{map[string]any{"path": ".", "limit": 0}, ops.ClassValidation, "below the minimum"},
	}
	for _, tc := range tests {
		_, err := e.run("file.find", tc.raw)
		if err == nil || ops.ClassOf(err) != tc.class || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("find %v: %v (class %s), want %s containing %q", tc.raw, err, ops.ClassOf(err), tc.class, tc.want)
		}
	}
}
