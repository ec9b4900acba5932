package cluster

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/arsenal-run/arsenal-run/pkg/ops"
	"github.com/arsenal-run/arsenal-run/pkg/ops/internal/opstest"
)

// TestDaemonRunsRefuseAnInventoryAnotherUserCouldSwap: in a run of serve
// or schedule (ops.Call.RefuseSwappable), an inventory that another user
// (mallory) owns in a directory every user may write (sticky, like /tmp),
// or one every user may write, is refused with what to do: she would
// choose the nodes the daemon's runs probe, what the probes find and the
// labels the runs pick nodes by. The daemon's own inventory, and any in a
// user's own run, are read as before.
func TestDaemonRunsRefuseAnInventoryAnotherUserCouldSwap(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to play another user")
	}
	const mallory = 1001
	r := newRegistry(t)
	dir := t.TempDir()
	drop := filepath.Join(dir, "drop")
	if err := os.Mkdir(drop, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(drop, 0o777|os.ModeSticky); err != nil {
		t.Fatal(err)
	}
	const inv = "- {name: a, address: 127.0.0.1:1}\n"
	hers := filepath.Join(drop, "nodes.yaml")
	mine := filepath.Join(dir, "nodes.yaml")
	for _, f := range []string{hers, mine} {
		if err := os.WriteFile(f, []byte(inv), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Chown(hers, mallory, mallory); err != nil {
		t.Fatal(err)
	}
	daemon := ops.WithCall(context.Background(), &ops.Call{Dir: dir, RefuseSwappable: true})
	own := ops.WithCall(context.Background(), &ops.Call{Dir: dir})
	probe := func(ctx context.Context, inventory string) error {
		_, err := opstest.Execute(r, ctx, "cluster.health", map[string]any{"inventory": inventory, "timeout": "1s"})
		return err
	}

	err := probe(daemon, "drop/nodes.yaml")
	for _, want := range []string{
		"param inventory drop/nodes.yaml: the inventory is in " + drop + ", a directory every user of this host may write, and " + hers + " there is owned by user 1001",
		"choose the nodes the runs that read it probe",
		"keep the file in a directory of your own",
	} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("mallory's inventory in a daemon's run: no %q in %v", want, err)
		}
	}
	if ops.ClassOf(err) != ops.ClassValidation {
		t.Errorf("mallory's inventory in a daemon's run: class %s, want validation", ops.ClassOf(err))
	}
	if err := probe(daemon, "nodes.yaml"); err != nil {
		t.Errorf("the daemon's own inventory: %v", err)
	}
	if err := probe(own, "drop/nodes.yaml"); err != nil {
		t.Errorf("run, without RefuseSwappable: %v", err)
	}

	if err := os.Chmod(mine, 0o666); err != nil {
		t.Fatal(err)
	}
	err = probe(daemon, mine)
	if err == nil || !strings.Contains(err.Error(), "the inventory's mode 0666 lets every user of this host write it") || !strings.Contains(err.Error(), "chmod go-w "+mine) {
		t.Errorf("an inventory of mode 0666 in a daemon's run: %v", err)
	}
}
