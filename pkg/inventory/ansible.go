package inventory

import (
	"bytes"
	"regexp"

	"github.com/arsenal-run/arsenal-run/internal/yamlx"
)

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
	if key == "members" || key == "description" {
		// A group written under hosts: takes that list's words.
		return "; " + key + " is a group's key: a group goes under groups:"
	}
	return ""
}

// groupKeyHint says where the hosts and children of an Ansible group go.
func groupKeyHint(key string) string {
	switch key {
	case "hosts", "children":
		return "; an Ansible group's hosts and children are both listed under members here (members: [web-1, db])"
	case "address", "port", "user", "identity_file", "certificate_file", "tags", "health_url":
		// A host written under groups: (below the hosts, say) would
		// otherwise be told only the keys of a group.
		return "; " + key + " is a host's key: a host goes under hosts:"
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

// iniSection is the first line of a group of Ansible's INI inventory:
// [web], [web:children], [all:vars].
var iniSection = regexp.MustCompile(`^\[[A-Za-z0-9_.-]+(:[a-z]+)?\][ \t]*\r?$`)

// iniHost is a host line of one: a name, perhaps followed by variables
// set with =; or a variable of a [group:vars] section.
var iniHost = regexp.MustCompile(`^[^\s#;=:]+([ \t]+[A-Za-z_][A-Za-z0-9_]*=\S*)*[ \t]*\r?$|^[A-Za-z_][A-Za-z0-9_]*=\S*\r?$`)

// iniInventory is the one problem of data written as Ansible's INI
// inventory, which YAML reads as a list followed by text (or not at all),
// at its first section line; ok is false for any other data.
func iniInventory(file string, data []byte) (ds yamlx.Diagnostics, ok bool) {
	at, sections, hosts := 0, 0, 0
	for i, line := range bytes.Split(bytes.TrimPrefix(data, []byte("\ufeff")), []byte("\n")) {
		t := bytes.TrimSpace(line)
		switch {
		case len(t) == 0 || t[0] == '#' || t[0] == ';':
		case iniSection.Match(line):
			if sections == 0 {
				at = i + 1
			}
			sections++
		case sections > 0 && iniHost.Match(line):
			hosts++
		}
	}
	if sections == 0 || sections+hosts < 2 {
		return nil, false
	}
	return yamlx.Diagnostics{{File: file, Pos: yamlx.Pos{Line: at, Col: 1},
		Msg: "this looks like an Ansible inventory in INI format; arsenal-run reads a YAML inventory: version: 1, then each host under hosts: (web-1: {address: 10.0.0.1, user: deploy}) and each [group] under groups: (web: {members: [web-1]}); ansible-inventory -i FILE --list --yaml prints the hosts and vars to copy"}}, true
}
