package auth

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestPolicyMisfiled: a keys file, an inventory, a playbook or a report
// given as --policy was reported as unknown keys of the policy, which
// sends the reader to fix a file that is right; it is now said to be the
// other file, with the flag that takes it. A keys file nested deeper than
// a policy may be is told too.
func TestPolicyMisfiled(t *testing.T) {
	cases := []struct{ name, src, want string }{
		{"keys file", "version: 1\nkeys:\n  - {name: ci, sha256: ab, roles: [operator]}\ncerts: []\n",
			"p.yaml:2:1: this is a keys file (keys), not a policy: give it to serve with --keys FILE"},
		{"inventory", "version: 1\ndefaults: {user: ops}\nhosts:\n  web1: {address: 10.0.0.1}\n",
			"p.yaml:3:1: this is an inventory (hosts, groups), not a policy: give it to run, validate, schedule or serve with --inventory FILE"},
		{"playbook", "version: 1\nname: x\nsteps:\n  - {id: a, op: control.log, with: {message: hi}}\n",
			"p.yaml:3:1: this is a playbook (steps), not a policy: give it as the PLAYBOOK of run, validate or schedule, or put it in serve's --playbooks DIR"},
		{"report", "{\"report_version\": \"1\", \"roles\": [\"operator\"], \"steps\": []}\n",
			"p.yaml:1:2: this is a run's report (report_version), not a policy: show it with 'arsenal-run report show FILE', or rerun its failed steps with 'arsenal-run run PLAYBOOK --resume FILE'"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := ParsePolicy("p.yaml", []byte(c.src), nil)
			if err == nil {
				t.Fatal("loaded")
			}
			if diff := cmp.Diff(c.want, err.Error()); diff != "" {
				t.Errorf("error (-want +got):\n%s", diff)
			}
		})
	}
}
