package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The files SREs keep beside their playbooks: an inventory, the policy, a
// keys file. validate, schedule and serve read the directory alike: they
// leave those out (validate says so), and a file named directly is still
// told what it is.
func TestPlaybooksDirBesideInventoryPolicyAndKeys(t *testing.T) {
	inv, err := os.ReadFile("../../docs/examples/inventory.yaml")
	if err != nil {
		t.Fatal(err)
	}
	playbookDir(t, map[string]string{
		"books/nightly.yaml": `version: 1
name: nightly
schedule: {cron: "30 2 * * *"}
steps:
  - {id: hi, op: control.log, with: {message: hi}}
`,
		"books/adhoc.yaml":     goodPlaybook,
		"books/inventory.yaml": string(inv),
		"books/policy.yaml":    "version: 1\nroles:\n  oncall: {max_risk: write}\n",
		"books/keys.yaml":      "version: 1\nkeys: []\n",
	})
	r := runEnv(t, nil, "validate", "books")
	r.want(t, ExitOK, []string{
		"skip  " + filepath.Join("books", "inventory.yaml") + ": an inventory (hosts, groups), not a playbook; give it with --inventory FILE",
		"skip  " + filepath.Join("books", "keys.yaml") + ": a keys file (keys), not a playbook; give it to serve with --keys FILE",
		"skip  " + filepath.Join("books", "policy.yaml") + ": a policy (roles), not a playbook; give it with --policy FILE",
		"all 2 playbooks are valid",
	}, nil)
	// The policy in force is protected from file operations, and still
	// no playbook.
	runEnv(t, nil, "validate", "books", "--policy", "books/policy.yaml", "--role", "oncall").
		want(t, ExitOK, []string{"skip  " + filepath.Join("books", "policy.yaml") + ": arsenal-run's policy file, given by a flag; not a playbook"}, nil)
	r = runEnv(t, nil, "schedule", "books", "--next", "1")
	r.want(t, ExitOK, []string{`nightly (books/nightly.yaml): cron "30 2 * * *"`}, nil)
	if strings.Contains(r.stderr, "inventory") {
		t.Errorf("schedule DIR read the inventory as a playbook:\n%s", r.stderr)
	}
	// Named directly, it is said what it is and which flag takes it.
	runEnv(t, nil, "validate", "books/inventory.yaml").
		want(t, ExitUsage, nil, []string{"books/inventory.yaml:6:1: this is an inventory (hosts, groups), not a playbook: give it to run, validate, schedule or serve with --inventory FILE"})
}
