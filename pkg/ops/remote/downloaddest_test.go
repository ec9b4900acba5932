package remote

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/arsenal-run/arsenal-run/pkg/ops"
)

// TestDownloadToDirectory: a download whose dest is a local directory
// fails before the file is fetched, saying dest is a directory and names
// the file to write, not with the rename's "file exists", and leaves no
// temporary file beside it.
func TestDownloadToDirectory(t *testing.T) {
	srv := startServer(t, serverOpts{})
	pool := newPool(t, srv.settings(srv.inventory(t, "box")))
	local, remote := t.TempDir(), t.TempDir()
	src := filepath.Join(remote, "app.conf")
	if err := os.WriteFile(src, []byte("new\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(filepath.Join(local, "conf"), 0o755); err != nil {
		t.Fatal(err)
	}
	ctx := ops.WithCall(context.Background(), &ops.Call{Dir: local, Scope: roots{local}})
	_, err := execute(t, ctx, pool, "ssh.download", map[string]any{"host": "box", "src": src, "dest": "conf"})
	if err == nil || !strings.Contains(err.Error(), "dest conf is a directory; dest names the file to write, such as conf/app.conf") {
		t.Errorf("error: %v; want it to say dest is a directory", err)
	}
	if names, _ := filepath.Glob(filepath.Join(local, ".conf.arsenal-tmp-*")); len(names) > 0 {
		t.Errorf("%s is left", names[0])
	}
}

// TestUploadMissingSource: an upload whose relative src does not exist
// said "files/app.conf: no such file or directory", which reads as the
// working directory's file when the playbook's directory was meant; it
// names the path it looked for, as the file operations do. No host is
// needed: the source is opened first.
func TestUploadMissingSource(t *testing.T) {
	dir := t.TempDir()
	ctx := ops.WithCall(context.Background(), &ops.Call{Dir: dir, Scope: roots{dir}})
	p := newPool(t, Settings{Agent: "none"})
	_, err := execute(t, ctx, p, "ssh.upload", map[string]any{"host": "bob@127.0.0.1", "src": "files/app.conf", "dest": "/tmp/app.conf"})
	want := "files/app.conf does not exist (relative paths resolve against the playbook's directory: looked for " + filepath.Join(dir, "files", "app.conf") + ")"
	if err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("error: %v\nwant %q", err, want)
	}
}
