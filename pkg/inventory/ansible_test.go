package inventory

import (
	"strings"
	"testing"
)

// TestAnsibleKeysAreNamedInThisFormat: a file written for Ansible, or a
// host copied from one, is told which key says the same here; a host
// written under groups:, or a group under hosts:, is told where it goes. Before,
// ansible_host got only the list of allowed keys (no spelling is close),
// a group's hosts: and children: likewise, and a top-level all: read as
// an unknown key followed by a missing version and hosts, without saying
// where Ansible's parts go.
func TestAnsibleKeysAreNamedInThisFormat(t *testing.T) {
	for _, tc := range []struct{ name, src, want string }{
		{"host vars", "version: 1\nhosts:\n  web-1: {ansible_host: 10.0.0.1, ansible_port: 2222, ansible_user: deploy, ansible_ssh_private_key_file: /k}\n",
			`inv.yaml:3:11: unknown key "ansible_host" in host web-1; Ansible's ansible_host is address here; allowed keys: address, port,` +
				`|inv.yaml:3:35: unknown key "ansible_port" in host web-1; Ansible's ansible_port is port here;` +
				`|inv.yaml:3:55: unknown key "ansible_user" in host web-1; Ansible's ansible_user is user here;` +
				`|inv.yaml:3:77: unknown key "ansible_ssh_private_key_file" in host web-1; Ansible's ansible_ssh_private_key_file is identity_file here;`},
		{"group", "version: 1\nhosts:\n  web-1: {}\ngroups:\n  web:\n    hosts: [web-1]\n  db:\n    children: [web]\n",
			`inv.yaml:6:5: unknown key "hosts" in group web; an Ansible group's hosts and children are both listed under members here (members: [web-1, db]); allowed keys:` +
				`|inv.yaml:8:5: unknown key "children" in group db; an Ansible group's hosts and children`},
		{"top", "all:\n  hosts:\n    web-1:\n",
			`inv.yaml:1:1: unknown key "all" in the inventory; this looks like an Ansible inventory: here all is implicit, its hosts go under hosts:, its children under groups:, its vars under defaults: vars:, with version: 1 at the top; allowed keys:`},
		{"host under groups", "version: 1\nhosts:\n  web-1: {}\ngroups:\n  web: [web-1]\n  db-1: {address: 10.0.0.9, port: 2222}\n",
			`inv.yaml:6:10: unknown key "address" in group db-1; address is a host's key: a host goes under hosts:; allowed keys: members,` +
				`|inv.yaml:6:29: unknown key "port" in group db-1; port is a host's key: a host goes under hosts:;`},
		{"group under hosts", "version: 1\nhosts:\n  web-1: {}\n  web: {members: [web-1]}\n",
			`inv.yaml:4:9: unknown key "members" in host web; members is a group's key: a group goes under groups:; allowed keys: address,`},
		{"misspelt", "version: 1\nhosts:\n  web-1: {adress: 10.0.0.1}\n",
			`inv.yaml:3:11: unknown key "adress" in host web-1 (did you mean "address"?); allowed keys:`},
	} {
		_, err := Parse("inv.yaml", []byte(tc.src))
		if err == nil {
			t.Errorf("%s: loaded", tc.name)
			continue
		}
		for _, want := range strings.Split(tc.want, "|") {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("%s: %q is not in\n%v", tc.name, want, err)
			}
		}
	}
}

// TestAnsibleINIInventory: an inventory in Ansible's INI format was
// refused as YAML it is not ("text follows the file's value; the file
// must hold exactly one value"), which says nothing of the real mistake.
// It is named as what it is, at its first [group], with the YAML to
// write; a YAML inventory with a mistake is not taken for one.
func TestAnsibleINIInventory(t *testing.T) {
	const want = "this looks like an Ansible inventory in INI format; arsenal-run reads a YAML inventory: version: 1, then each host under hosts: (web-1: {address: 10.0.0.1, user: deploy}) and each [group] under groups: (web: {members: [web-1]}); ansible-inventory -i FILE --list --yaml prints the hosts and vars to copy"
	for _, tc := range []struct{ name, src, want string }{
		{"hosts with vars", "[web]\nweb-1 ansible_host=10.0.0.1 ansible_user=deploy\nweb-2 ansible_host=10.0.0.2\n", "hosts.ini:1:1: " + want},
		{"bare names after a comment", "# production\n[web]\nweb-1\nweb-2\n\n[db:children]\nweb\n\n[all:vars]\nansible_user=deploy\n", "hosts.ini:2:1: " + want},
		{"a YAML inventory", "version: 1\nhosts:\n  - web-1\n", "hosts.ini:3:3: hosts must be a mapping keyed by host name, not a list: write each host as `web-1: {address: ADDRESS}` under hosts:, without its leading `- `"},
	} {
		_, err := Parse("hosts.ini", []byte(tc.src))
		if err == nil || err.Error() != tc.want {
			t.Errorf("%s: got %v\nwant %s", tc.name, err, tc.want)
		}
	}
}
