package auth

import (
	"go.yaml.in/yaml/v3"

	"github.com/arsenal-run/arsenal-run/internal/yamlx"
)

// listExamples are what an item of each list of a policy looks like.
var listExamples = map[string]string{
	"allow":       `- shell.exec or - "process.*"`,
	"deny":        `- shell.exec or - "process.*"`,
	"cache.allow": "- shell.exec",
	"inherits":    "- operator",
	"hosts":       `- web-1 or - "web-*"`,
	"file_roots":  "- /srv/app",
}

// itemForm says how to write n, an item of the list what that is not a
// string: the value of a one-key mapping such as {op: shell.exec}, as
// other tools write a rule, as a string; else an example of the list's
// items.
func itemForm(n *yaml.Node, what string) string {
	if n.Kind == yaml.MappingNode && len(n.Content) == 2 {
		if v := yamlx.Deref(n.Content[1]); v.Kind == yaml.ScalarNode && v.ShortTag() == "!!str" && v.Value != "" {
			return "write it as - " + v.Value
		}
	}
	if ex, ok := listExamples[what]; ok {
		return "write each as a string, like " + ex
	}
	return "write each as a string"
}
