package steps

import (
	"slices"

	"go.yaml.in/yaml/v3"

	"github.com/arsenal-run/arsenal-run/internal/suggest"
	"github.com/arsenal-run/arsenal-run/internal/yamlx"
)

// otherFile tells what a file given as a playbook is instead, by its
// top-level keys, when it has no steps: a run's report (report_version,
// whatever else it has), an inventory (hosts, groups), a policy (roles), a
// keys file (keys), or a node list of cluster.* (nodes, or a list of
// nodes); "" when it may be a playbook. at is the key (or node) that
// tells. `validate DIR` reads every .yaml file there, and a directory of
// runbooks often holds their inventory and policy too.
func otherFile(root *yaml.Node) (what string, at *yaml.Node) {
	root = yamlx.Deref(root)
	if root != nil && isNodeList(root) {
		return notNodeList, root
	}
	if at, msg, ok := yamlx.OtherKind(root, yamlx.KindPlaybook); ok {
		return msg, at
	}
	if root == nil || root.Kind != yaml.MappingNode {
		return "", nil
	}
	if len(root.Content) == 2 && root.Content[0].Value == "nodes" {
		return notNodeList, root.Content[0]
	}
	if noPlaybookKey(root) {
		return notAPlaybook, root.Content[0]
	}
	return "", nil
}

// notAPlaybook is why a mapping none of whose keys is, or is close to, a
// playbook's is none: most often the inputs file kept beside it. Its keys
// are not quoted: a sub-playbook's path may come from a caller who may
// not read the file.
const notAPlaybook = "this is not a playbook: none of its keys is a playbook's (version, name, steps, …); " +
	"an inputs file (input names and values) is given to run with --inputs FILE; a playbook starts with version: 1, name: and steps:"

// noPlaybookKey reports whether root, a non-empty mapping, has no key a
// playbook has, nor one a typo or another case away from one (Steps:,
// stpes:), whose own message says what to write.
func noPlaybookKey(root *yaml.Node) bool {
	if len(root.Content) < 2 {
		return false
	}
	for i := 0; i+1 < len(root.Content); i += 2 {
		k := root.Content[i]
		if k.Kind != yaml.ScalarNode || slices.Contains(topKeys, k.Value) || k.Value == "<<" {
			return false
		}
		if _, near := suggest.Closest(k.Value, topKeys); near {
			return false
		}
	}
	return true
}

const notNodeList = "this is a node list (nodes) of cluster.health and cluster.topology, not a playbook: name it in a step's inventory:"

// otherKinds are arsenal-run's other YAML files, by their top-level keys
// (pkg/inventory, pkg/auth and pkg/server read them): the key that tells
// the kind, and every key the kind has.
var otherKinds = []struct {
	tells []string
	keys  []string
	why   string
}{
	{[]string{"hosts", "groups"}, []string{"version", "defaults", "hosts", "groups"}, "an inventory (hosts, groups), not a playbook; give it with --inventory FILE"},
	{[]string{"roles"}, []string{"version", "roles", "rate", "cache"}, "a policy (roles), not a playbook; give it with --policy FILE"},
	{[]string{"keys", "certs"}, []string{"version", "keys", "certs"}, "a keys file (keys), not a playbook; give it to serve with --keys FILE"},
	{[]string{"nodes"}, []string{"nodes"}, notNodes},
}

// notNodes is why a cluster.* node list is not a playbook.
const notNodes = "a node list (nodes) of cluster.health and cluster.topology, not a playbook; a step names it in inventory:"

// nodeKeys are the keys of a node of a cluster.* node list.
var nodeKeys = []string{"name", "url", "address", "labels"}

// isNodeList reports whether root is a cluster.* node list written as a
// bare list: every item a mapping of a node's keys, with a name and a url
// or an address.
func isNodeList(root *yaml.Node) bool {
	if root.Kind != yaml.SequenceNode || len(root.Content) == 0 {
		return false
	}
	for _, it := range root.Content {
		it = yamlx.Deref(it)
		if it.Kind != yaml.MappingNode {
			return false
		}
		has := map[string]bool{}
		for i := 0; i+1 < len(it.Content); i += 2 {
			k := it.Content[i].Value
			if !slices.Contains(nodeKeys, k) {
				return false
			}
			has[k] = true
		}
		if !has["name"] || !has["url"] && !has["address"] {
			return false
		}
	}
	return true
}

// otherKind tells why a file of a playbooks directory is another of
// arsenal-run's files rather than a playbook: each of its top-level keys
// is one that kind has, and one of them tells the kind. "" when it may be
// a playbook; one with any other key is loaded, and what is wrong with
// it reported at its position (a playbook's keys beside hosts: are a
// mistake to show, not a file to leave out).
func otherKind(root *yaml.Node) string {
	root = yamlx.Deref(root)
	if root != nil && isNodeList(root) {
		return notNodes
	}
	if root == nil || root.Kind != yaml.MappingNode {
		return ""
	}
	for _, k := range otherKinds {
		told, all := false, true
		for i := 0; i+1 < len(root.Content); i += 2 {
			key := root.Content[i].Value
			told = told || slices.Contains(k.tells, key)
			all = all && slices.Contains(k.keys, key)
		}
		if told && all {
			return k.why
		}
	}
	return ""
}
