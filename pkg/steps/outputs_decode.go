package steps

import (
	"go.yaml.in/yaml/v3"

	"github.com/arsenal-run/arsenal-run/internal/yamlx"
)

// decodeOutputs reads the playbook's outputs: a mapping of each output's
// name to the expression giving it.
func (l *loader) decodeOutputs(n *yaml.Node) {
	if d := yamlx.Deref(n); d.Kind == yaml.SequenceNode {
		// The list of name: and value: entries other runners take.
		l.d.Add(yamlx.PosOf(d), "outputs must be a mapping of each output's name to its value, not a list; write outputs: {%s: \"${{ steps.<id>.output.<field> }}\"}", listOutputName(d))
		return
	}
	pairs, ok := yamlx.Pairs(n, "outputs", l.d)
	if !ok {
		return
	}
	for _, p := range pairs {
		if !identRE.MatchString(p.Key) || len(p.Key) > MaxIDLen {
			l.d.Add(yamlx.PosOf(p.K), "output name %q: use letters, digits and _, starting with a letter or _", yamlx.Truncate(p.Key, 80))
			continue
		}
		l.pb.Outputs = append(l.pb.Outputs, &Output{Name: p.Key, Pos: yamlx.PosOf(p.K), Value: l.value(p.V, scopeOutputs, nil, -1, false)})
	}
}

// listOutputName is the name: of the first entry of outputs written as a
// list, for the fix its message gives; "result" when it has none.
func listOutputName(seq *yaml.Node) string {
	if len(seq.Content) > 0 {
		if m := yamlx.Deref(seq.Content[0]); m.Kind == yaml.MappingNode {
			for i := 0; i+1 < len(m.Content); i += 2 {
				if v := yamlx.Deref(m.Content[i+1]); m.Content[i].Value == "name" && v.Kind == yaml.ScalarNode && identRE.MatchString(v.Value) {
					return v.Value
				}
			}
		}
	}
	return "result"
}
