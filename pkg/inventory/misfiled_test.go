package inventory

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestMisfiled: a policy, a keys file or a playbook given as --inventory
// was reported as missing hosts and unknown keys of the inventory; each
// is now said to be the other file, with the flag that takes it.
func TestMisfiled(t *testing.T) {
	cases := []struct{ name, src, want string }{
		{"policy", "version: 1\nroles:\n  oncall: {max_risk: read}\n",
			"i.yaml:2:1: this is a policy (roles), not an inventory: give it with --policy FILE"},
		{"keys file", "version: 1\nkeys: []\ncerts: []\n",
			"i.yaml:2:1: this is a keys file (keys), not an inventory: give it to serve with --keys FILE"},
		{"playbook", "version: 1\nname: x\nsteps: []\n",
			"i.yaml:3:1: this is a playbook (steps), not an inventory: give it as the PLAYBOOK of run, validate or schedule, or put it in serve's --playbooks DIR"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := Parse("i.yaml", []byte(c.src))
			if err == nil {
				t.Fatal("loaded")
			}
			if diff := cmp.Diff(c.want, err.Error()); diff != "" {
				t.Errorf("error (-want +got):\n%s", diff)
			}
		})
	}
}
