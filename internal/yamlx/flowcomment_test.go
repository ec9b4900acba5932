package yamlx

import (
	"strings"
	"testing"
)

// TestFlowComment: a # after a blank inside { } or [ ] begins a comment
// that takes the closing brackets with it; the syntax error then says so,
// quoting the comment, instead of only what the library did not find. A
// # inside quotes, or a comment after a closed collection, adds nothing.
func TestFlowComment(t *testing.T) {
	lim := Limits{MaxFileSize: 1 << 20, MaxDepth: 10, MaxAliasNodes: 10, MaxNodes: 1000}
	for _, src := range []string{
		"steps:\n  - {id: h, when: any([1, 2], # > 1)}\n",
		"steps:\n  - {id: h, when: all(xs, # != \"\")}\n",
		"a: [1, x # y]\n",
	} {
		d := &Diags{File: "f.yaml"}
		Parse([]byte(src), lim, d)
		err := d.Err()
		if err == nil || !strings.Contains(err.Error(), "for a comment (a # after a space begins one, inside { } and [ ] too): quote the value that holds it") {
			t.Errorf("%q: got %v, want the comment named", src, err)
		}
	}
	for _, line := range []string{`a: {b: "x # y", c: [1]}`, `a: {b: 1} # note`, `a: x # y`, `a: {b: 'it''s # y'}`} {
		if c := flowComment([]byte(line)); c != "" {
			t.Errorf("%q: flowComment %q, want none", line, c)
		}
	}
	// The message without a comment keeps its hint.
	d := &Diags{File: "f.yaml"}
	Parse([]byte("a: {b: sure?, c: 1} # fine\n"), lim, d)
	if err := d.Err(); err == nil || !strings.Contains(err.Error(), "quote values that contain , : ? or brackets") || strings.Contains(err.Error(), "comment") {
		t.Errorf("flow syntax: got %v", err)
	}
}
