package steps

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/arsenal-run/arsenal-run/pkg/ops/cluster"
)

// loadClusterPlaybook writes a playbook whose cluster.health step reads
// the inventory written as inv, and nodes.yaml beside it holding nodes
// (none when nodes is ""), and loads it.
func loadClusterPlaybook(t *testing.T, inv, nodes string) (*Playbook, error) {
	t.Helper()
	reg := testRegistry(t)
	if err := cluster.Register(reg); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if nodes != "" {
		if err := os.WriteFile(filepath.Join(dir, "nodes.yaml"), []byte(nodes), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	src := "version: 1\nname: probe\ninputs:\n  inv: {type: string, default: nodes.yaml}\nsteps:\n" +
		"  - id: health\n    op: cluster.health\n    with:\n      inventory: " + inv + "\n"
	file := filepath.Join(dir, "pb.yaml")
	if err := os.WriteFile(file, []byte(src), 0o600); err != nil {
		t.Fatal(err)
	}
	return Load(file, reg)
}

// TestClusterInventoryCheckedAtLoad: a cluster.* step's literal inventory
// is parsed when the playbook loads, so that validate reports its problems
// at the step's line with the inventory's own file:line:col, rather than
// the run failing on it when the step starts.
func TestClusterInventoryCheckedAtLoad(t *testing.T) {
	_, err := loadClusterPlaybook(t, "nodes.yaml", "nodes:\n  - name: a\n    url: http://127.0.0.1:1/\n    lables: {role: web}\n")
	if err == nil {
		t.Fatal("an inventory with an unknown key loaded")
	}
	for _, want := range []string{"pb.yaml:9:18: cluster.health: inventory nodes.yaml has problems", "nodes.yaml:4:5: unknown key \"lables\""} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("got %v\nwant %q in it", err, want)
		}
	}
	_, err = loadClusterPlaybook(t, "nodes.yaml", "- name: a\n  url: http://127.0.0.1:1/\n- name: a\n  address: 127.0.0.1:2\n")
	if err == nil || !strings.Contains(err.Error(), `node name "a" is used twice`) {
		t.Errorf("an inventory naming a node twice: got %v", err)
	}
}

// TestClusterInventoryFine: a good inventory loads; a missing one is a
// warning only (a step before may make it); one an expression names is
// left to the run.
func TestClusterInventoryFine(t *testing.T) {
	pb, err := loadClusterPlaybook(t, "nodes.yaml", "nodes:\n  - name: a\n    url: http://127.0.0.1:1/\n    labels: {role: web}\n")
	if err != nil {
		t.Fatalf("a good inventory: %v", err)
	}
	if len(pb.Warnings) != 0 {
		t.Errorf("a good inventory: warnings %v", pb.Warnings)
	}
	pb, err = loadClusterPlaybook(t, "nodes.yaml", "")
	if err != nil {
		t.Fatalf("a missing inventory: %v", err)
	}
	if len(pb.Warnings) != 1 || !strings.Contains(pb.Warnings[0].Error(), "inventory nodes.yaml does not exist") {
		t.Errorf("a missing inventory: warnings %v", pb.Warnings)
	}
	if _, err := loadClusterPlaybook(t, `"${{ inputs.inv }}"`, "nodes: oops\n"); err != nil {
		t.Errorf("a computed inventory was read at load: %v", err)
	}
}
