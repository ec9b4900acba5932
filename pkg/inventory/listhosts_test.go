package inventory

import "testing"

// TestHostsWrittenAsList: hosts: written as a list of `- name:` items,
// as Ansible and other tools have it, was refused as "hosts must be a
// mapping (key: value), not a list", which does not say what the mapping
// is keyed by. The refusal now shows the first host written as a key.
func TestHostsWrittenAsList(t *testing.T) {
	for _, tc := range []struct{ name, src, want string }{
		{"name and address", "version: 1\nhosts:\n  - name: web1\n    address: 10.0.0.5\n  - name: web2\n    address: 10.0.0.6\n",
			"inv.yaml:3:3: hosts must be a mapping keyed by host name, not a list: write each host as `web1: {address: 10.0.0.5}` under hosts:, without its `- name:`"},
		{"no name", "version: 1\nhosts:\n  - {address: 10.0.0.5}\n",
			"inv.yaml:3:3: hosts must be a mapping keyed by host name, not a list: write each host as `NAME: {address: 10.0.0.5}` under hosts:, without its `- name:`"},
		{"empty", "version: 1\nhosts: []\n",
			"inv.yaml:2:8: hosts must be a mapping keyed by host name, not a list: write each host as `NAME: {address: ADDRESS}` under hosts:, without its leading `- `"},
	} {
		_, err := Parse("inv.yaml", []byte(tc.src))
		if err == nil || err.Error() != tc.want {
			t.Errorf("%s: got %v\nwant %s", tc.name, err, tc.want)
		}
	}
}
