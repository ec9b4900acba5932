package remote

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/arsenal-run/arsenal-run/internal/fsroot"
	"github.com/arsenal-run/arsenal-run/pkg/ops"
)

// TestDownloadWritesNothingInTheStateDir: the directory of an
// ssh.download's dest, swapped after the checks for a symlink to the
// state dir inside the roots (which holds a file of dest's name), leads
// neither the temporary file nor the rename there: the file lands in the
// directory as judged, and the state dir's file is as it was.
func TestDownloadWritesNothingInTheStateDir(t *testing.T) {
	srv := startServer(t, serverOpts{})
	pool := newPool(t, srv.settings(srv.inventory(t, "box")))
	local, remote := t.TempDir(), t.TempDir()
	src := filepath.Join(remote, "runs.db")
	if err := os.WriteFile(src, []byte("the host's file\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	st := filepath.Join(local, "state")
	if err := os.Mkdir(st, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(st, "runs.db"), []byte("history"), 0o600); err != nil {
		t.Fatal(err)
	}
	fsroot.Protect(st, "state dir")
	a := filepath.Join(local, "a")
	if err := os.Mkdir(a, 0o755); err != nil {
		t.Fatal(err)
	}
	testHookFetching = func() {
		testHookFetching = nil
		if err := os.Rename(a, a+".old"); err != nil {
			t.Fatal(err)
		}
		if err := os.Symlink("state", a); err != nil {
			t.Fatal(err)
		}
	}
	t.Cleanup(func() { testHookFetching = nil })
	ctx := ops.WithCall(context.Background(), &ops.Call{Dir: local, Scope: roots{local}})
	if _, err := execute(t, ctx, pool, "ssh.download", map[string]any{"host": "box", "src": src, "dest": "a/runs.db"}); err != nil {
		t.Errorf("download into the directory as judged: %v", err)
	}
	if b, err := os.ReadFile(filepath.Join(st, "runs.db")); err != nil || string(b) != "history" {
		t.Errorf("the state dir's runs.db after the download: %q %v, want it as it was", b, err)
	}
	if names, _ := filepath.Glob(filepath.Join(st, ".runs.db.arsenal-tmp-*")); len(names) > 0 {
		t.Errorf("%s was left in the state dir", names[0])
	}
	if b, err := os.ReadFile(filepath.Join(a+".old", "runs.db")); err != nil || string(b) != "the host's file\n" {
		t.Errorf("the download in the directory as judged: %q %v", b, err)
	}
}
