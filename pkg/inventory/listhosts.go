package inventory

import (
	"go.yaml.in/yaml/v3"

	"github.com/arsenal-run/arsenal-run/internal/yamlx"
)

// hostsList reports, after saying what to write, whether n (hosts:) is a
// list, as Ansible's and many tools' lists of `- name:` items are written,
// where an inventory takes a mapping keyed by host name.
func (l *loader) hostsList(n *yaml.Node) bool {
	dn := yamlx.Deref(n)
	if dn.Kind != yaml.SequenceNode {
		return false
	}
	name, address, drop := "NAME", "ADDRESS", "its leading `- `"
	if len(dn.Content) > 0 {
		switch item := yamlx.Deref(dn.Content[0]); item.Kind {
		case yaml.ScalarNode:
			if item.Value != "" {
				name = item.Value
			}
		case yaml.MappingNode:
			drop = "its `- name:`"
			for i := 0; i+1 < len(item.Content); i += 2 {
				k, v := item.Content[i].Value, yamlx.Deref(item.Content[i+1])
				if v.Kind != yaml.ScalarNode || v.Value == "" {
					continue
				}
				switch k {
				case "name":
					name = v.Value
				case "address":
					address = v.Value
				}
			}
		}
	}
	l.d.Add(yamlx.PosOf(dn), "hosts must be a mapping keyed by host name, not a list: write each host as `%s: {address: %s}` under hosts:, without %s", name, address, drop)
	return true
}
