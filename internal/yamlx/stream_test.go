package yamlx

import (
	"strings"
	"testing"
)

var streamLimits = Limits{MaxFileSize: 1 << 20, MaxDepth: 10, MaxAliasNodes: 10, MaxNodes: 1000, EmptyHint: "write a: 1"}

// parseErr is the one problem Parse reports for src, or "" when it
// parses.
func parseErr(t *testing.T, src string) string {
	t.Helper()
	d := &Diags{File: "f.yaml"}
	n := Parse([]byte(src), streamLimits, d)
	switch {
	case n != nil && len(d.List) == 0:
		return ""
	case len(d.List) != 1:
		t.Fatalf("%q: want one problem, got %v", src, d.Err())
	}
	return d.List[0].Error()
}

// TestFileOfOnlyComments: a file that holds comments and no value is
// said to, rather than called empty, which sends its reader looking for
// a file cut short; a file of nothing or blanks is empty.
func TestFileOfOnlyComments(t *testing.T) {
	for src, want := range map[string]string{
		"# steps: to come\n  # more\n\n":   "f.yaml:1:1: the file holds only comments; write a: 1",
		"\ufeff# a comment\r\n":            "f.yaml:1:1: the file holds only comments; write a: 1",
		"":                                 "f.yaml:1:1: the file is empty; write a: 1",
		"\n  \n":                           "f.yaml:1:1: the file is empty; write a: 1",
		"# only a comment with no newline": "f.yaml:1:1: the file holds only comments; write a: 1",
	} {
		if got := parseErr(t, src); got != want {
			t.Errorf("%q: got %q, want %q", src, got, want)
		}
	}
}

// TestNestingPastTheReadersBound: nesting past the YAML reader's own
// bound (10,000 levels) gets the message and the hint of MaxDepth, as
// nesting past MaxDepth alone does, not the reader's bare words.
func TestNestingPastTheReadersBound(t *testing.T) {
	want := "nesting is deeper than 10 levels; flatten the structure"
	for _, src := range []string{
		"a:\n  b: " + strings.Repeat("[", 10050) + strings.Repeat("]", 10050) + "\n",
		"a: " + strings.Repeat("[", 12) + strings.Repeat("]", 12) + "\n",
	} {
		if got := parseErr(t, src); !strings.HasSuffix(got, want) {
			t.Errorf("nesting %d deep: got %q, want it to end %q", strings.Count(src, "["), got, want)
		}
	}
}

// TestTrailingDocumentMarker: a `---` that ends the file with nothing
// after it but comments, as generators write after every document, is an
// empty document and is accepted, as kubectl accepts it, and so are empty
// documents before the value (a template that rendered nothing); a second
// document with a value, a null one included, is still refused.
func TestTrailingDocumentMarker(t *testing.T) {
	for _, src := range []string{
		"a: 1\n---\n",
		"a: 1\n---",
		"---\na: 1\n---\n",
		"a: 1\n---\n# end of generated file\n",
		"a: 1\n---\n---\n",
		"a: 1\n...\n---\n",
		"---\n---\na: 1\n",
		"---\n# Source: chart/templates/empty.yaml\n---\na: 1\n",
		"---\n---\n---\na: 1\n---\n",
	} {
		if got := parseErr(t, src); got != "" {
			t.Errorf("%q: %s; want it accepted", src, got)
		}
	}
	second := "a second YAML document follows the first"
	for _, src := range []string{
		"a: 1\n---\nb: 2\n",
		"a: 1\n--- ~\n",
		"a: 1\n--- ''\n",
		"a: 1\n---\n---\nb: 2\n",
		"a: 1\n--- &x\n",
		"---\n---\na: 1\n---\nb: 2\n",
		"--- ~\n---\na: 1\n",
	} {
		if got := parseErr(t, src); !strings.Contains(got, second) {
			t.Errorf("%q: got %q, want %q", src, got, second)
		}
	}
}
