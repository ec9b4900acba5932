package yamlx

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestKeylessList: a list written where its key (steps:) was left out
// was reported with the YAML library's "did not find expected key" or
// "mapping values are not allowed in this context", naming no key; it
// now says which key has its value already and to write the missing one.
func TestKeylessList(t *testing.T) {
	const top = "; write the key the list belongs to (steps:, say) on a line of its own above the first item"
	cases := []struct{ name, src, want string }{
		{"at the key's column", "version: 1\nname: t\n- id: a\n  op: x\n",
			"f.yaml:3:1: YAML syntax: a list item where a key belongs: name: on line 2 has its value already, so the list cannot be its" + top},
		{"indented, after a blank line and a comment", "version: 1\nname: t\n\n# the steps\n  - id: a\n    op: x\n",
			"f.yaml:5:3: YAML syntax: a list item where a key belongs: name: on line 2 has its value already, so the list cannot be its" + top},
		{"nested", "steps:\n  - id: a\n    op: x\n      - id: b\n",
			"f.yaml:4:7: YAML syntax: a list item where a key belongs: op: on line 3 has its value already, so the list cannot be its; write the key the list belongs to on a line of its own above the first item, or, if the item belongs to a list above, indent its - as that list's other items"},
		{"not a list item", "a: 1\n  b: 2\n",
			"f.yaml:2:3: YAML syntax: mapping values are not allowed in this context; check the indentation of this line and the one above, and quote a value that contains \": \""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			d := &Diags{File: "f.yaml"}
			if Parse([]byte(c.src), testLimits, d) != nil {
				t.Fatal("parsed without a problem")
			}
			if diff := cmp.Diff(c.want, d.List.Error()); diff != "" {
				t.Errorf("diagnostics (-want +got):\n%s", diff)
			}
		})
	}
}
