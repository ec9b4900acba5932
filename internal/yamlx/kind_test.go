package yamlx

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestMisfiled: each of arsenal-run's files handed to the flag of another
// is told by its top-level keys, at the key that tells, with the flag that
// takes it; a file of the wanted kind with mistakes, or no YAML at all, is
// left to its loader.
func TestMisfiled(t *testing.T) {
	const (
		playbook  = "version: 1\nname: x\nsteps:\n  - {id: a, op: control.log}\n"
		policy    = "version: 1\nroles:\n  oncall: {max_risk: read}\n"
		keys      = "version: 1\nkeys:\n  - {name: ci, roles: [operator]}\n"
		certsOnly = "version: 1\ncerts: []\n"
		inventory = "version: 1\ndefaults: {user: ops}\nhosts:\n  web1: {address: 10.0.0.1}\n"
		report    = "{\n  \"report_version\": \"1\",\n  \"roles\": [\"operator\"],\n  \"steps\": []\n}\n"
	)
	cases := []struct {
		name string
		data string
		want Kind
		diag string // "" = not told
	}{
		{"keys as policy", keys, KindPolicy, "f:2:1: this is a keys file (keys), not a policy: give it to serve with --keys FILE"},
		{"certs as policy", certsOnly, KindPolicy, "f:2:1: this is a keys file (keys), not a policy: give it to serve with --keys FILE"},
		{"inventory as policy", inventory, KindPolicy, "f:3:1: this is an inventory (hosts, groups), not a policy: give it to run, validate, schedule or serve with --inventory FILE"},
		{"playbook as policy", playbook, KindPolicy, "f:3:1: this is a playbook (steps), not a policy: give it as the PLAYBOOK of run, validate or schedule, or put it in serve's --playbooks DIR"},
		{"report as policy", report, KindPolicy, "f:2:3: this is a run's report (report_version), not a policy: show it with 'arsenal-run report show FILE', or rerun its failed steps with 'arsenal-run run PLAYBOOK --resume FILE'"},
		{"policy as keys", policy, KindKeys, "f:2:1: this is a policy (roles), not a keys file: give it with --policy FILE"},
		{"inventory as keys", inventory, KindKeys, "f:3:1: this is an inventory (hosts, groups), not a keys file: give it to run, validate, schedule or serve with --inventory FILE"},
		{"playbook as keys", playbook, KindKeys, "f:3:1: this is a playbook (steps), not a keys file: give it as the PLAYBOOK of run, validate or schedule, or put it in serve's --playbooks DIR"},
		{"policy as inventory", policy, KindInventory, "f:2:1: this is a policy (roles), not an inventory: give it with --policy FILE"},
		{"keys as inventory", keys, KindInventory, "f:2:1: this is a keys file (keys), not an inventory: give it to serve with --keys FILE"},
		{"playbook as inventory", playbook, KindInventory, "f:3:1: this is a playbook (steps), not an inventory: give it as the PLAYBOOK of run, validate or schedule, or put it in serve's --playbooks DIR"},
		{"report as playbook", report, KindPlaybook, "f:2:3: this is a run's report (report_version), not a playbook: show it with 'arsenal-run report show FILE', or rerun its failed steps with 'arsenal-run run PLAYBOOK --resume FILE'"},
		{"policy with a stray keys:", "version: 1\nroles: {}\nkeys: []\n", KindPolicy, ""},
		{"policy with a typo", "version: 1\nrole: {}\n", KindPolicy, ""},
		{"not YAML", "roles: {x: [\n", KindPolicy, ""},
		{"a list", "- roles\n", KindKeys, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := ""
			if ds, ok := Misfiled("f", []byte(c.data), c.want); ok {
				got = ds.Error()
			}
			if diff := cmp.Diff(c.diag, got); diff != "" {
				t.Errorf("Misfiled (-want +got):\n%s", diff)
			}
		})
	}
}
