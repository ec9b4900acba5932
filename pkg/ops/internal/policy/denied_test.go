package policy

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/arsenal-run/arsenal-run/pkg/ops"
)

// TestDeniedNamesWhereARelativePathLeads: a user standing in a root who
// writes out.txt is told that the out.txt outside it is the one beside
// the playbook, not that the file beside them is outside.
func TestDeniedNamesWhereARelativePathLeads(t *testing.T) {
	base := t.TempDir()
	root := filepath.Join(base, "x")
	if err := os.Mkdir(root, 0o755); err != nil {
		t.Fatal(err)
	}
	inBook := ops.WithCall(context.Background(), &ops.Call{Dir: base})
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	outside := filepath.Join(base, "out.txt")
	tests := []struct {
		name  string
		ctx   context.Context
		path  string
		roots []string
		want  string
	}{
		{"relative", inBook, "out.txt", []string{root},
			`path "out.txt" (` + outside + `: a relative path is taken from the playbook's directory) is outside the allowed file roots (` + root + `)`},
		{"relative, outside a run", context.Background(), "../out.txt", []string{root},
			`path "../out.txt" (` + filepath.Join(filepath.Dir(wd), "out.txt") + `: a relative path is taken from the working directory) is outside`},
		{"absolute", inBook, outside, []string{root}, `path "` + outside + `" is outside`},
		{"absolute, not clean", inBook, root + "/../out.txt", []string{root}, `path "` + root + `/../out.txt" (` + outside + `) is outside`},
		{"no roots", inBook, "out.txt", []string{}, `path "out.txt" (` + outside + `: a relative path is taken from the playbook's directory): the caller's scope allows no file access`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Locate(tc.ctx, tc.path, tc.roots)
			if !errors.Is(err, ops.ErrDenied) || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Locate(%q): %v\nwant it to say: %s", tc.path, err, tc.want)
			}
		})
	}
}

// TestEscapedNamesWhereARelativePathLeads: a path that a symlink leads
// out of the roots is named with the absolute path it was resolved to, by
// ReadFile and by Classify.
func TestEscapedNamesWhereARelativePathLeads(t *testing.T) {
	dir := t.TempDir()
	if err := os.Symlink("/etc/hostname", filepath.Join(dir, "evil.yaml")); err != nil {
		t.Fatal(err)
	}
	ctx := ops.WithCall(context.Background(), &ops.Call{Dir: dir})
	want := `path "evil.yaml" (` + filepath.Join(dir, "evil.yaml") + `: a relative path is taken from the playbook's directory) leads through a symlink or .. outside the allowed file roots`
	if _, err := ReadFile(ctx, "evil.yaml", []string{dir}, 1<<20); err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("ReadFile: %v\nwant it to say: %s", err, want)
	}
	escape := &os.PathError{Op: "openat", Path: "evil.yaml", Err: errors.New("path escapes from parent")}
	if err := Classify(ctx, escape, "evil.yaml", []string{dir}); err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("Classify: %v\nwant it to say: %s", err, want)
	}
}
