package steps

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// A directory of playbooks often holds their inventory, policy and keys
// file too: they are left out by their keys, while a file with any other
// key is loaded, to have its problems reported.
func TestDirPlaybooksLeavesOutArsenalRunsOtherFiles(t *testing.T) {
	dir := t.TempDir()
	inv, err := os.ReadFile("../../docs/examples/inventory.yaml")
	if err != nil {
		t.Fatal(err)
	}
	files := map[string]string{
		"deploy.yaml":             "version: 1\nname: deploy\nsteps:\n  - {id: a, op: control.log, with: {message: hi}}\n",
		"inventory.yaml":          string(inv),
		"hosts.yml":               "hosts:\n  web-1: {address: 10.0.0.1}\n",
		"policy.yaml":             "version: 1\nroles:\n  oncall: {max_risk: read}\nrate: {}\n",
		"keys.yaml":               "version: 1\nkeys: []\ncerts: []\n",
		"ansible.yaml":            "hosts: web\ntasks: []\n",
		"roles.yaml":              "version: 1\nname: r\nroles: x\nsteps: []\n",
		"broken.yaml":             "hosts: [\n",
		"nodes.yaml":              "nodes:\n  - {name: a, url: 'http://10.0.0.1/'}\n",
		"list.yml":                "- {name: a, address: '10.0.0.1:22', labels: {role: web}}\n",
		"items.yaml":              "- {name: a}\n",
		".pre-commit-config.yaml": "repos: []\n",
	}
	for name, text := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Mkdir(filepath.Join(dir, "old.yml"), 0o755); err != nil {
		t.Fatal(err)
	}
	got, left, err := DirPlaybooks(dir)
	if err != nil {
		t.Fatal(err)
	}
	var want []string
	for _, n := range []string{"ansible.yaml", "broken.yaml", "deploy.yaml", "items.yaml", "roles.yaml"} {
		want = append(want, filepath.Join(dir, n))
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("playbooks (-want +got):\n%s", diff)
	}
	wantLeft := []LeftOut{
		{filepath.Join(dir, ".pre-commit-config.yaml"), "a hidden file (its name starts with a dot), such as an editor's lock or a tool's settings; not read"},
		{filepath.Join(dir, "hosts.yml"), "an inventory (hosts, groups), not a playbook; give it with --inventory FILE"},
		{filepath.Join(dir, "inventory.yaml"), "an inventory (hosts, groups), not a playbook; give it with --inventory FILE"},
		{filepath.Join(dir, "keys.yaml"), "a keys file (keys), not a playbook; give it to serve with --keys FILE"},
		{filepath.Join(dir, "list.yml"), "a node list (nodes) of cluster.health and cluster.topology, not a playbook; a step names it in inventory:"},
		{filepath.Join(dir, "nodes.yaml"), "a node list (nodes) of cluster.health and cluster.topology, not a playbook; a step names it in inventory:"},
		{filepath.Join(dir, "old.yml"), "a directory; the playbooks of sub-directories are not read"},
		{filepath.Join(dir, "policy.yaml"), "a policy (roles), not a playbook; give it with --policy FILE"},
	}
	if diff := cmp.Diff(wantLeft, left); diff != "" {
		t.Errorf("left out (-want +got):\n%s", diff)
	}
}

// A directory whose name holds a glob's characters lists its own
// playbooks: they are not matched as a pattern.
func TestDirPlaybooksOfADirectoryNamedLikeAPattern(t *testing.T) {
	for _, name := range []string{"playbooks[prod]", "ops[", "a*b?"} {
		dir := filepath.Join(t.TempDir(), name)
		if err := os.Mkdir(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		pb := filepath.Join(dir, "deploy.yaml")
		if err := os.WriteFile(pb, []byte("version: 1\nname: deploy\nsteps:\n  - {id: a, op: control.log, with: {message: hi}}\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		got, _, err := DirPlaybooks(dir)
		if err != nil || !slices.Equal(got, []string{pb}) {
			t.Errorf("DirPlaybooks(%q) = %q, %v; want [%q]", name, got, err, pb)
		}
	}
}

// TestDirPlaybooksDeniedSaysWhatToChange: a directory of playbooks this
// user may not list says which user and what to change, besides the
// file system's own words.
func TestDirPlaybooksDeniedSaysWhatToChange(t *testing.T) {
	err := unlistable(&fs.PathError{Op: "open", Path: "pb", Err: syscall.EACCES})
	want := fmt.Sprintf("open pb: permission denied; the user running arsenal-run (uid %d) may not list it: make it readable and searchable by that user (chmod u+rx, chown), or run as one that may", os.Geteuid())
	if err.Error() != want || !errors.Is(err, fs.ErrPermission) {
		t.Errorf("unlistable:\n got %v\nwant %s", err, want)
	}
}

// A cluster.* node list named as a playbook is said to be one, at
// once, rather than reported as a playbook missing all its keys.
func TestNodeListNamedAsAPlaybook(t *testing.T) {
	dir := t.TempDir()
	for _, text := range []string{"nodes:\n  - {name: a, url: 'http://10.0.0.1/'}\n", "- {name: a, address: '10.0.0.1:22'}\n"} {
		f := filepath.Join(dir, "nodes.yaml")
		if err := os.WriteFile(f, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		_, err := Load(f, testRegistry(t))
		if err == nil || !strings.Contains(err.Error(), "nodes.yaml:1:1: this is a node list (nodes) of cluster.health") || strings.Contains(err.Error(), "missing") {
			t.Errorf("%q: got %v", text, err)
		}
	}
}

// An inputs file named as a playbook (or kept in a playbooks directory
// that validate reads) is one diagnostic saying that it is no playbook
// and that --inputs takes such a file, rather than every key unknown and
// version, name and steps missing; a playbook with its keys in another
// case or misspelt still has each named, with the key it means.
func TestInputsFileNamedAsAPlaybook(t *testing.T) {
	dir := t.TempDir()
	f := filepath.Join(dir, "deploy.inputs.yaml")
	if err := os.WriteFile(f, []byte("service: api\nreplicas: 3\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := Load(f, testRegistry(t))
	want := f + ":1:1: this is not a playbook: none of its keys is a playbook's (version, name, steps, …); " +
		"an inputs file (input names and values) is given to run with --inputs FILE; a playbook starts with version: 1, name: and steps:"
	if err == nil || err.Error() != want {
		t.Errorf("got %v\nwant %s", err, want)
	}
	if err := os.WriteFile(f, []byte("Version: 1\nname: x\nstpes: []\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err = Load(f, testRegistry(t))
	if err == nil || !strings.Contains(err.Error(), `unknown key "Version" in the playbook (did you mean "version"?)`) || strings.Contains(err.Error(), "not a playbook") {
		t.Errorf("a playbook with mistakes: got %v", err)
	}
}
