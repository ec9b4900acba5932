package remote

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/arsenal-run/arsenal-run/pkg/ops"
)

// TestDaemonUploadRefusesASourceAnotherUserCouldSwap: in a run of serve
// or schedule (ops.Call.RefuseSwappable), ssh.upload does not send a
// source that another user (mallory) owns in a directory every user may
// write (sticky, like /tmp): she would choose what lands on the host. A
// run of the user's own (run) sends it as before.
func TestDaemonUploadRefusesASourceAnotherUserCouldSwap(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to play another user")
	}
	const mallory = 1001
	srv := startServer(t, serverOpts{})
	pool := newPool(t, srv.settings(srv.inventory(t, "box")))
	local, remote := t.TempDir(), t.TempDir()
	drop := filepath.Join(local, "drop")
	if err := os.Mkdir(drop, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(drop, 0o777|os.ModeSticky); err != nil {
		t.Fatal(err)
	}
	hers := filepath.Join(drop, "authorized_keys")
	if err := os.WriteFile(hers, []byte("ssh-ed25519 AAAA mallory\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Chown(hers, mallory, mallory); err != nil {
		t.Fatal(err)
	}
	dest := filepath.Join(remote, "authorized_keys")
	params := map[string]any{"host": "box", "src": "drop/authorized_keys", "dest": dest}
	daemon := ops.WithCall(context.Background(), &ops.Call{Dir: local, Scope: roots{local}, RefuseSwappable: true})
	_, err := execute(t, daemon, pool, "ssh.upload", params)
	if err == nil || !strings.Contains(err.Error(), "the upload's source is in "+drop+", a directory every user of this host may write, and "+hers+" there is owned by user 1001, who can replace it and choose what the runs that read it install") {
		t.Errorf("mallory's file uploaded in a daemon's run: %v", err)
	}
	if _, err := os.Stat(dest); err == nil {
		t.Error("mallory's file was uploaded")
	}
	own := ops.WithCall(context.Background(), &ops.Call{Dir: local, Scope: roots{local}})
	if _, err := execute(t, own, pool, "ssh.upload", params); err != nil {
		t.Errorf("run, without RefuseSwappable: %v", err)
	}
}
