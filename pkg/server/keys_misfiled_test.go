package server

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestKeysMisfiled: a policy, an inventory or a playbook given as --keys
// was reported as unknown keys of the keys file, or, for a policy nested
// deeper than a keys file may be, as too deep; each is now said to be the
// other file, with the flag that takes it.
func TestKeysMisfiled(t *testing.T) {
	cases := []struct{ name, src, want string }{
		{"policy", "version: 1\nroles:\n  oncall:\n    playbooks:\n      - path: r.yaml\n        inputs:\n          grace: {enum: [10s, 30s]}\n",
			"k.yaml:2:1: this is a policy (roles), not a keys file: give it with --policy FILE"},
		{"inventory", "version: 1\nhosts:\n  web1: {address: 10.0.0.1}\n",
			"k.yaml:2:1: this is an inventory (hosts, groups), not a keys file: give it to run, validate, schedule or serve with --inventory FILE"},
		{"playbook", "version: 1\nname: x\nsteps: []\n",
			"k.yaml:3:1: this is a playbook (steps), not a keys file: give it as the PLAYBOOK of run, validate or schedule, or put it in serve's --playbooks DIR"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := ParseKeys("k.yaml", []byte(c.src))
			if err == nil {
				t.Fatal("loaded")
			}
			if diff := cmp.Diff(c.want, err.Error()); diff != "" {
				t.Errorf("error (-want +got):\n%s", diff)
			}
		})
	}
}
