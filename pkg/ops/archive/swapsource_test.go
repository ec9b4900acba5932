package archive

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/arsenal-run/arsenal-run/pkg/ops"
	"github.com/arsenal-run/arsenal-run/pkg/ops/internal/opstest"
)

// TestDaemonRunsRefuseAnArchiveAnotherUserCouldSwap: in a run of serve or
// schedule (ops.Call.RefuseSwappable), an archive that another user
// (mallory) owns in a directory every user may write (sticky, like /tmp)
// is not extracted, and a source directory every user may write is not
// packed: she would choose what root installs. A run of the user's own
// (run) extracts it as before.
func TestDaemonRunsRefuseAnArchiveAnotherUserCouldSwap(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to play another user")
	}
	const mallory = 1001
	e := newEnv(t)
	daemon := ops.WithCall(context.Background(), &ops.Call{Dir: e.root, Scope: scope{[]string{e.root}}, RefuseSwappable: true})
	write(t, e.root, map[string]string{"tree/app.conf": "user = app\n", "etc/": ""})
	if _, err := e.run("archive.create", map[string]any{"src": "tree", "dest": "app.tar.gz"}); err != nil {
		t.Fatal(err)
	}
	drop := filepath.Join(e.root, "drop")
	if err := os.Mkdir(drop, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(drop, 0o777|os.ModeSticky); err != nil {
		t.Fatal(err)
	}
	hers := filepath.Join(drop, "app.tar.gz")
	if err := os.Rename(filepath.Join(e.root, "app.tar.gz"), hers); err != nil {
		t.Fatal(err)
	}
	if err := os.Chown(hers, mallory, mallory); err != nil {
		t.Fatal(err)
	}
	extract := map[string]any{"src": "drop/app.tar.gz", "dest": "etc"}
	_, err := opstest.Execute(e.r, daemon, "archive.extract", extract)
	if err == nil || !strings.Contains(err.Error(), "the archive is in "+drop+", a directory every user of this host may write, and "+hers+" there is owned by user 1001, who can replace it and choose what the runs that read it install") {
		t.Errorf("mallory's archive in a daemon's run: %v", err)
	}
	if _, err := os.Stat(filepath.Join(e.root, "etc", "app.conf")); err == nil {
		t.Error("mallory's archive was extracted")
	}

	tree := filepath.Join(e.root, "tree")
	if err := os.Chmod(tree, 0o777); err != nil {
		t.Fatal(err)
	}
	_, err = opstest.Execute(e.r, daemon, "archive.create", map[string]any{"src": "tree", "dest": "again.tar.gz"})
	if err == nil || !strings.Contains(err.Error(), "the source's mode 0777 lets every user of this host write it") || !strings.Contains(err.Error(), "chmod go-w "+tree) {
		t.Errorf("a source directory of mode 0777 in a daemon's run: %v", err)
	}

	if _, err := e.run("archive.extract", extract); err != nil {
		t.Errorf("run, without RefuseSwappable: %v", err)
	}
}
