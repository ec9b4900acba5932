package remote_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/arsenal-run/arsenal-run/internal/sshdtest"
	"github.com/arsenal-run/arsenal-run/pkg/engine"
	"github.com/arsenal-run/arsenal-run/pkg/inventory"
	"github.com/arsenal-run/arsenal-run/pkg/ops"
	"github.com/arsenal-run/arsenal-run/pkg/ops/remote"
	"github.com/arsenal-run/arsenal-run/pkg/report"
)

// TestUploadLostConnectionRemovesPartial: the connection of an upload is
// lost half-way (the host's sshd for it killed), the run not cancelled.
// The step fails saying the connection was lost, and the partial copy and
// its directory are removed over a new connection, which the server's
// listener still accepts, instead of being left on the host. When the
// whole server is gone, the error says how to remove what is left, with
// the directory quoted for the shell: dest's name holds a space.
func TestUploadLostConnectionRemovesPartial(t *testing.T) {
	for _, down := range []bool{false, true} {
		t.Run(fmt.Sprintf("server down %v", down), func(t *testing.T) { uploadLost(t, down) })
	}
}

func uploadLost(t *testing.T, down bool) {
	srv := sshdtest.Start(t, sshdtest.Options{})
	inv, err := inventory.Parse("inventory.yaml", []byte("version: 1\nhosts:\n"+srv.InventoryLine(t, "box")))
	if err != nil {
		t.Fatal(err)
	}
	reg := ops.NewRegistry()
	if err := remote.Register(reg, remote.Settings{Inventory: inv, KnownHosts: []string{srv.KnownHosts}, Agent: "none",
		KeepAlive: time.Hour, KillGrace: 200 * time.Millisecond, DialTimeout: 5 * time.Second}); err != nil {
		t.Fatal(err)
	}
	defer reg.Close()
	local, far := t.TempDir(), t.TempDir()
	src, dest := filepath.Join(local, "big.bin"), filepath.Join(far, "big copy.bin")
	tmp := filepath.Join(far, ".big copy.bin.arsenal-tmp-*", "big copy.bin")
	// A sparse file: long to send, costs no disk to read.
	f, err := os.Create(src)
	if err == nil {
		err = f.Truncate(1 << 30)
	}
	if err == nil {
		err = f.Close()
	}
	if err != nil {
		t.Fatal(err)
	}
	book := filepath.Join(local, "copy.yaml")
	if err := os.WriteFile(book, []byte(fmt.Sprintf(`version: 1
name: copy
steps:
  - id: s
    op: ssh.upload
    with: {host: box, src: %s, dest: %s}
`, src, dest)), 0o600); err != nil {
		t.Fatal(err)
	}
	plan, err := engine.New(reg).Load(book)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan *report.Report, 1)
	go func() {
		rep, _ := plan.Run(context.Background(), nil, engine.WithInventory(inv))
		done <- rep
	}()
	for deadline := time.Now().Add(30 * time.Second); partial(tmp) <= 0; time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the transfer did not start")
		}
	}
	b, err := os.ReadFile(filepath.Join(srv.Dir, "sshd.pid"))
	if err != nil {
		t.Fatal(err)
	}
	listener, _ := strconv.Atoi(strings.TrimSpace(string(b)))
	children := childrenOf(t, listener)
	if down {
		_ = syscall.Kill(listener, syscall.SIGKILL)
	}
	for _, pid := range children {
		_ = syscall.Kill(pid, syscall.SIGKILL)
	}
	rep := <-done
	step := &rep.Steps[0]
	if step.Error == nil || !strings.Contains(step.Error.Message, "uploading to "+dest+" on box") {
		t.Fatalf("step: %s, error %+v; want the upload to have failed", step.Status, step.Error)
	}
	dirs, _ := filepath.Glob(filepath.Join(far, ".big copy.bin.arsenal-tmp-*"))
	if down {
		if len(dirs) != 1 || !strings.Contains(step.Error.Message, "may be left on box (readable by its owner only): remove it with `rm -r '"+dirs[0]+"'`") {
			t.Errorf("error: %s; want it to say how to remove %v", step.Error.Message, dirs)
		}
		return
	}
	if strings.Contains(step.Error.Message, "may be left") {
		t.Errorf("error: %s; want the partial copy removed over a new connection", step.Error.Message)
	}
	if n := partial(tmp); n >= 0 {
		t.Errorf("a partial copy of %d bytes is left at %s", n, tmp)
	}
	if len(dirs) > 0 {
		t.Errorf("the temporary directory %s is left", dirs[0])
	}
}
