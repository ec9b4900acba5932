package server

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/arsenal-run/arsenal-run/pkg/ops"
	"github.com/arsenal-run/arsenal-run/pkg/ops/builtin"
	"github.com/arsenal-run/arsenal-run/pkg/ops/proc"
)

// serve --keys DIR/keys.yaml --playbooks DIR: the keys file this server
// reads, an inventory beside the playbooks and an editor's lock are not
// playbooks, and do not keep the server from starting.
func TestPlaybooksDirLeavesOutTheKeysFileAndInventory(t *testing.T) {
	dir := t.TempDir()
	_, digest, err := NewKey()
	if err != nil {
		t.Fatal(err)
	}
	for name, text := range map[string]string{
		"deploy.yaml":    "version: 1\nname: deploy\nsteps:\n  - {id: a, op: control.log, with: {message: hi}}\n",
		"keys.yaml":      "version: 1\nkeys:\n  - {name: ci, sha256: " + digest + ", roles: [operator]}\n",
		"inventory.yaml": "version: 1\nhosts:\n  web-1: {address: 10.0.0.1}\ngroups:\n  web: [web-1]\n",
	} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	// An editor's lock of deploy.yaml, a link to nowhere while it is open.
	if err := os.Symlink("sre@host.4242:1700000000", filepath.Join(dir, ".#deploy.yaml")); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadKeys(filepath.Join(dir, "keys.yaml")); err != nil {
		t.Fatal(err)
	}
	reg := ops.NewRegistry()
	if err := builtin.Register(reg, builtin.Options{Supervisor: proc.NewSupervisor(proc.Options{})}); err != nil {
		t.Fatal(err)
	}
	pbs, err := LoadPlaybooks(dir, reg)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, pb := range pbs.All() {
		names = append(names, pb.Name)
	}
	if diff := cmp.Diff([]string{"deploy"}, names); diff != "" {
		t.Errorf("playbooks (-want +got):\n%s", diff)
	}
}

// A name used twice is reported at the second playbook's name: key,
// naming the first's, as schedule and validate report it.
func TestPlaybooksDirNameUsedTwiceAtItsKey(t *testing.T) {
	dir := t.TempDir()
	pb := "version: 1\nname: deploy\nsteps:\n  - {id: a, op: control.log, with: {message: hi}}\n"
	for _, name := range []string{"a.yaml", "b.yaml"} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte("# deploy\n"+pb), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	reg := ops.NewRegistry()
	if err := builtin.Register(reg, builtin.Options{Supervisor: proc.NewSupervisor(proc.Options{})}); err != nil {
		t.Fatal(err)
	}
	_, err := LoadPlaybooks(dir, reg)
	want := filepath.Join(dir, "b.yaml") + `:3:1: playbook name "deploy" is also the name of ` + filepath.Join(dir, "a.yaml") + ":3:1"
	if err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("got %v, want %s", err, want)
	}
}
