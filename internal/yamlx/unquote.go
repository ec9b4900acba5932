package yamlx

import (
	"strings"

	"go.yaml.in/yaml/v3"
)

// unquoteHint is what to write instead of a value quoted as text where
// a number or a bool is wanted (`version: "1"`, `fail_fast: "false"`):
// the same value without its quotes, when YAML reads that as one of
// tags. A text that is no such value gets no hint.
func unquoteHint(n *yaml.Node, tags ...string) string {
	if n.Kind != yaml.ScalarNode || n.ShortTag() != "!!str" ||
		n.Style&(yaml.DoubleQuotedStyle|yaml.SingleQuotedStyle) == 0 {
		return ""
	}
	v := strings.TrimSpace(n.Value)
	var plain yaml.Node
	if v == "" || strings.ContainsAny(v, "\n#:") || yaml.Unmarshal([]byte(v), &plain) != nil ||
		len(plain.Content) != 1 || plain.Content[0].Kind != yaml.ScalarNode {
		return ""
	}
	if !Contains(tags, plain.Content[0].ShortTag()) {
		return ""
	}
	return "; write it without quotes: " + v
}
