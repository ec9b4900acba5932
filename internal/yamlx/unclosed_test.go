package yamlx

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestUnclosedAtEnd: a bracket or quote left open when the file ends was
// reported at the start of its line, or of a line after it (for
// `roles: {x: [` alone, at 1:1), with the YAML library's "did not find
// expected node content"; it is now reported at the bracket or quote
// that is not closed, saying so and what closes it. When several are
// open the message counted them with a bare number ("the file ends
// inside 2: add ]}"); it now says what they are and where the first was
// opened.
func TestUnclosedAtEnd(t *testing.T) {
	cases := []struct{ name, src, want string }{
		{"bracket at the end of the only line", "roles: {x: [",
			"f.yaml:1:12: YAML syntax: the [ opened here is not closed before the file ends (did not find expected node content); close it with ] (the file ends inside 2 unclosed brackets, the first opened at 1:8: add ]} to close them all)"},
		{"bracket on a later line", "version: 1\nroles: {x: [\n",
			"f.yaml:2:12: YAML syntax: the [ opened here is not closed before the file ends (did not find expected node content); close it with ] (the file ends inside 2 unclosed brackets, the first opened at 2:8: add ]} to close them all)"},
		{"list over lines", "version: 1\nroles:\n  oncall:\n    allow: [process.list,\n    max_risk: read\n",
			"f.yaml:4:12: YAML syntax: the [ opened here is not closed before the file ends (did not find expected ',' or ']'); close it with ]"},
		{"mapping before a list item", "steps:\n  - id: a\n    with: {message: hi\n  - id: b\n    op: x\n",
			"f.yaml:3:11: YAML syntax: the { opened here is not closed before the file ends (did not find expected ',' or '}'); close it with }"},
		{"after closed ones", "a: [b, c]\nb: {x: [1, 2], y: {z: 1},\n",
			"f.yaml:2:4: YAML syntax: the { opened here is not closed before the file ends (did not find expected node content); close it with }"},
		{"double quote", "a: 1\nb: \"x\nc: 2\n",
			"f.yaml:2:4: YAML syntax: the \" opened here is not closed before the file ends (found unexpected end of stream); close it with \""},
		{"single quote in a list", "a: ['x, y]\n",
			"f.yaml:1:5: YAML syntax: the ' opened here is not closed before the file ends (found unexpected end of stream); close it with ' (the file ends inside an unclosed quote and 1 unclosed bracket, the first opened at 1:4: add '] to close them all)"},
		{"after a byte order mark and CRLF", "\ufeffa: 1\r\nb: [1,\r\n",
			"f.yaml:2:4: YAML syntax: the [ opened here is not closed before the file ends (did not find expected node content); close it with ]"},
		{"brackets in a block scalar are text", "a: |\n  if [ -f x; then\n  echo \"hi\nb: [1,\n",
			"f.yaml:4:4: YAML syntax: the [ opened here is not closed before the file ends (did not find expected node content); close it with ]"},
		{"a comment in a list over lines", "allow: [\n  process.list,  # read-only\n  process.kill,\n",
			"f.yaml:1:8: YAML syntax: the [ opened here is not closed before the file ends (did not find expected node content); close it with ]"},
		{"bracket in a comment is not one", "a: 1 # see [docs\nb: [1, 2\n",
			"f.yaml:2:4: YAML syntax: the [ opened here is not closed before the file ends (did not find expected ',' or ']'); close it with ]"},
		{"four deep over lines", "version: 1\nroles:\n  oncall: {allow: [a,\n    b, {x: [1,\n",
			"f.yaml:4:12: YAML syntax: the [ opened here is not closed before the file ends (did not find expected node content); close it with ] (the file ends inside 4 unclosed brackets, the first opened at 3:11: add ]}]} to close them all)"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			d := &Diags{File: "f.yaml"}
			if Parse([]byte(c.src), Limits{MaxFileSize: 1 << 20, MaxDepth: 10, MaxAliasNodes: 10, MaxNodes: 1000}, d) != nil {
				t.Fatal("parsed without a problem")
			}
			if diff := cmp.Diff(c.want, d.List.Error()); diff != "" {
				t.Errorf("diagnostics (-want +got):\n%s", diff)
			}
		})
	}
}
