package steps

import (
	"go.yaml.in/yaml/v3"

	"github.com/arsenal-run/arsenal-run/internal/yamlx"
)

// otherFile tells what a file given as a playbook is instead, by its
// top-level keys, when it has no steps: an inventory (hosts, groups), a
// policy (roles), or a keys file (keys); "" when it may be a playbook. at
// is the key that tells.
// `validate DIR` reads every .yaml file there, and a directory of
// runbooks often holds their inventory and policy too.
func otherFile(root *yaml.Node) (what string, at *yaml.Node) {
	root = yamlx.Deref(root)
	if root == nil || root.Kind != yaml.MappingNode {
		return "", nil
	}
	has := map[string]*yaml.Node{}
	for i := 0; i+1 < len(root.Content); i += 2 {
		has[root.Content[i].Value] = root.Content[i]
	}
	switch {
	case has["steps"] != nil:
		return "", nil
	case has["hosts"] != nil:
		return notInventory, has["hosts"]
	case has["groups"] != nil:
		return notInventory, has["groups"]
	case has["roles"] != nil:
		return "this is a policy (roles), not a playbook: give it with --policy FILE, or keep it out of the playbooks' directory", has["roles"]
	case has["keys"] != nil:
		return "this is a keys file (keys), not a playbook: give it to serve with --keys FILE, and keep it out of the playbooks' directory", has["keys"]
	}
	return "", nil
}

const notInventory = "this is an inventory (hosts, groups), not a playbook: give it to run, validate, schedule or serve with --inventory FILE, or keep it out of the playbooks' directory"
