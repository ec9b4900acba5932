package inventory

// Ansible's inventory says the same things with other keys. A file
// written for Ansible, or a host copied from one, gets its keys named in
// this format rather than the closest spelling among the allowed keys,
// which for ansible_host is none.

// ansibleHostKeys are Ansible's connection variables and the host keys
// that say the same here.
var ansibleHostKeys = map[string]string{
	"ansible_host":                 "address",
	"ansible_ssh_host":             "address",
	"ansible_port":                 "port",
	"ansible_ssh_port":             "port",
	"ansible_user":                 "user",
	"ansible_ssh_user":             "user",
	"ansible_ssh_private_key_file": "identity_file",
	"ansible_private_key_file":     "identity_file",
}

// hostKeyHint names the key of a host that says what Ansible's variable
// key says, or "".
func hostKeyHint(key string) string {
	if k, ok := ansibleHostKeys[key]; ok {
		return "; Ansible's " + key + " is " + k + " here"
	}
	return ""
}

// groupKeyHint says where the hosts and children of an Ansible group go.
func groupKeyHint(key string) string {
	switch key {
	case "hosts", "children":
		return "; an Ansible group's hosts and children are both listed under members here (members: [web-1, db])"
	}
	return ""
}

// topKeyHint says where the parts of an Ansible YAML inventory go.
func topKeyHint(key string) string {
	switch key {
	case All:
		return "; this looks like an Ansible inventory: here all is implicit, its hosts go under hosts:, its children under groups:, its vars under defaults: vars:, with version: 1 at the top"
	case "children":
		return "; Ansible's children are written under groups: here"
	case "vars":
		return "; vars for every host are written under defaults: vars: here"
	}
	return ""
}
