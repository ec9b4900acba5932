package yamlx

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"go.yaml.in/yaml/v3"
)

var testLimits = Limits{MaxFileSize: 1 << 10, MaxDepth: 4, MaxAliasNodes: 20, MaxNodes: 200, SplitHint: "split it", EmptyHint: "write something"}

func TestParseRefuses(t *testing.T) {
	cases := []struct{ name, src, want string }{
		// A file too large has no line to point at: its size, in KiB
		// or MiB, and the limit in the same, not the name of a constant.
		{"too large", strings.Repeat("a: 1\n", 300), "f.yaml: the file is 1.5 KiB (1500 bytes), over the limit of 1 KiB; split it"},
		// A reader stops one byte past the limit: the size is not known.
		{"too large by a byte", strings.Repeat("a", 1025), "f.yaml: the file is over the limit of 1 KiB; split it"},
		{"too deep", "a: {b: {c: {d: {e: 1}}}}\n", "nesting is deeper than 4 levels"},
		{"alias bomb", "a: &a [x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a]\nc: [*b, *b]\n", "2:20: YAML aliases expand to more than 20 nodes"},
		{"second document", "a: 1\n---\nb: 2\n", "a second YAML document follows the first"},
		{"text after the value", "{\"n\": 2} trailing\n", "text follows the file's value; the file must hold exactly one value"},
		{"foreign tag", "a: !!python/object x\n", "1:4: tag !!python/object is not allowed"},
		{"NUL", "a: 1\nb: \x00\n", "2:4: NUL byte"},
		{"invalid UTF-8", "a: \xff\n", "1:4: invalid UTF-8 byte 0xff"},
		{"invalid UTF-8 after a byte order mark", "\ufeffa: \xff\n", "1:4: invalid UTF-8 byte 0xff"},
		{"NUL after a byte order mark", "\ufeffa: x\x00\n", "1:5: NUL byte"},
		{"bidi", "a: x\u202ey\n", "1:5: bidirectional control character U+202E"},
		// A file that is not text was told to lose a byte, or be saved
		// as UTF-8, and a policy given a program was told "a playbook is
		// text".
		{"a program", "\x7fELF\x02\x01\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x03\x00>\x00\x01\x00\x00\x00", "1:8: the file is not text but binary (a program, an archive or an image?); give the path of the YAML file"},
		{"gzip", "\x1f\x8b\x08\x08\x9b\x1a\x00\x00\x00\x03pb.yaml\x00", "1:2: the file is not text but binary"},
		{"UTF-16 with a byte order mark", "\xff\xfea\x00:\x00 \x00" + "1\x00\n\x00", "1:1: the file is saved as UTF-16 (as Windows PowerShell's > and Out-File write text); save it as UTF-8"},
		{"UTF-16 without one", "a\x00:\x00 \x001\x00\n\x00b\x00:\x00 \x002\x00", "1:2: the file is saved as UTF-16"},
		{"a stray NUL in text", "a: 1\nb: 2\x00\n", "2:5: NUL byte in the file; YAML is text: remove it"},
		{"a stray byte of Latin-1", "a: caf\xe9\n", "1:7: invalid UTF-8 byte 0xe9; save the file as UTF-8"},
		{"empty", "", "1:1: the file is empty; write something"},
		{"only null", "~\n", "1:1: the file holds only null; write something"},
		{"YAML 1.2 directive", "%YAML 1.2\n---\na: 1\n", "1:1: YAML syntax: found incompatible YAML document; the %YAML directive must say 1.1, or be left out"},
		{"flow syntax", "a: {b: sure?, c: 1}\n", "quote values that contain , : ? or brackets"},
		{"alias to no anchor", "a: &base {x: 1}\nb:\n  c: *bsae\n", "3:6: YAML syntax: alias *bsae names no anchor above it; define &bsae before the alias"},
		{"alias above its anchor", "a: [1, *b]\nb: &b 2\n", "1:8: YAML syntax: alias *b names no anchor above it"},
		{"alias in a flow mapping over lines", "a: {x: 1,\n  y: *n,\n  z: 2}\n", "2:6: YAML syntax: alias *n names no anchor"},
	}
	for _, c := range cases {
		d := &Diags{File: "f.yaml"}
		if n := Parse([]byte(c.src), testLimits, d); n != nil && c.want != "" {
			if err := d.Err(); err == nil {
				t.Errorf("%s: parsed without a problem", c.name)
				continue
			}
		}
		err := d.Err()
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: got %v, want %q", c.name, err, c.want)
		}
	}
}

func TestPairsAndFields(t *testing.T) {
	d := &Diags{File: "f.yaml"}
	root := Parse([]byte("base: &base {a: 1, b: 2}\nbse:\n  <<: *base\n  b: 3\n  c: 4\n  c: 5\n"), testLimits, d)
	if root == nil {
		t.Fatal(d.Err())
	}
	pairs, _ := Pairs(root, "the file", d)
	got := Plain(pairs[1].V, d)
	if diff := cmp.Diff(map[string]any{"a": 1, "b": 3, "c": 4}, got); diff != "" {
		t.Errorf("merge keys (-want +got):\n%s", diff)
	}
	var seen []string
	Fields(root, "the file", []string{"base", "other"}, d, func(key string, _, _ *yaml.Node) { seen = append(seen, key) })
	err := d.Err()
	for _, want := range []string{`6:3: duplicate key "c" in this mapping (first at line 5)`, `2:1: unknown key "bse" in the file (did you mean "base"?); allowed keys: base, other`} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("got %v, want %q", err, want)
		}
	}
	if diff := cmp.Diff([]string{"base"}, seen); diff != "" {
		t.Errorf("fields seen (-want +got):\n%s", diff)
	}
}

// TestFieldsGivenAScalar checks that a setting of a few keys given a bare
// value, like `cache: 1h`, says which keys it takes.
func TestFieldsGivenAScalar(t *testing.T) {
	d := &Diags{File: "f.yaml"}
	root := Parse([]byte("cache: 1h\n"), testLimits, d)
	pairs, _ := Pairs(root, "the file", d)
	if Fields(pairs[0].V, "cache", []string{"ttl", "key"}, d, func(string, *yaml.Node, *yaml.Node) {}) {
		t.Fatal("a string read as a mapping")
	}
	want := `f.yaml:1:8: cache must be a mapping (key: value) of ttl, key, not a string ("1h")`
	if err := d.Err(); err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("got %v, want %q", err, want)
	}
}

// TestSyntaxErrorLine checks that a syntax error points at the line with
// the mistake, not at the start of the mapping or list that holds it,
// which is the line the YAML library names.
func TestSyntaxErrorLine(t *testing.T) {
	cases := []struct {
		name, src string
		want      Pos
	}{
		{"key indented one space less", "steps:\n  - id: a\n    op: x\n    with:\n      m: hi\n   retry: 2\n", Pos{6, 4}},
		{"list item indented as a key", "steps:\n  - id: a\n    op: x\n    with:\n      m: hi\n    - id: b\n", Pos{6, 5}},
		{"key indented one space more", "a:\n  b: 1\n  c: 2\n   d: 3\n", Pos{4, 4}},
		{"with CRLF line ends", "steps:\r\n  - id: a\r\n    op: x\r\n   retry: 2\r\n", Pos{4, 4}},
		{"unclosed quote", "a: 1\nb: \"x\nc: 2\n", Pos{2, 4}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			d := &Diags{File: "f.yaml"}
			if Parse([]byte(c.src), Limits{MaxFileSize: 1 << 20, MaxDepth: 10, MaxAliasNodes: 10, MaxNodes: 1000}, d) != nil {
				t.Fatal("parsed without a problem")
			}
			if len(d.List) != 1 || !strings.HasPrefix(d.List[0].Msg, "YAML syntax:") {
				t.Fatalf("want one syntax error, got %v", d.Err())
			}
			if diff := cmp.Diff(c.want, d.List[0].Pos); diff != "" {
				t.Errorf("position of %q (-want +got):\n%s", d.List[0].Msg, diff)
			}
		})
	}
}

// TestTabIndentation checks that a tab in the indentation, whichever way
// the YAML library reports it, gets a message that says to indent with
// spaces, at the tab: the column where the fix goes, not the one past it
// where the line's text starts.
func TestTabIndentation(t *testing.T) {
	const tab = "YAML syntax: a tab in the indentation; YAML indents with spaces only: replace the tab with spaces"
	cases := []struct {
		name, src string
		want      string
	}{
		{"list indented with a tab", "version: 1\nsteps:\n\t- id: a\n\t  op: x\n", "f.yaml:3:1: " + tab},
		{"a tab after spaces", "steps:\n  - id: a\n    with:\n    \tm: hi\n", "f.yaml:4:5: " + tab},
		{"a line of only a tab", "a: 1\nb:\n\t\n  - c\n", "f.yaml:3:1: " + tab},
		{"a tab that violates indentation", "steps:\n  - id: a\n\t  op: x\n", "f.yaml:3:1: " + tab},
		{"a tab where an indentation space is expected", "a: |\n  x\n\ty\n", "f.yaml:3:1: " + tab},
		{"a tab after a list item's dash", "steps:\n  -\tid: a\n    op: x\n", "f.yaml:2:4: " + tab},
		{"a tab after nested dashes", "a:\n- - \tb\n", "f.yaml:2:5: " + tab},
		{"no tab", "a: 1\nb: @x\n", "f.yaml:2:1: YAML syntax: found character that cannot start any token"},
		// Inside [ ] and { } tabs are allowed: the fault is elsewhere.
		{"a tab-indented JSON playbook", "{\n\t\"version\": 1,\n\t\"steps\": [\n\t\t{\"id\": \"a\", \"with\": {\"message\": `hi`}}\n\t]\n}\n", "f.yaml:4:3: YAML syntax: found character that cannot start any token"},
		{"a tab-indented flow list", "steps: [\n\t{id: a, message: @oops}\n]\n", "f.yaml:2:2: YAML syntax: found character that cannot start any token"},
		{"a tab after a byte order mark", "\ufeff\tsteps: []\n", "f.yaml:1:1: " + tab},
		{"a tab after a quoted bracket and a comment", "a: \"[\" # {\nb: it's\n\t- c\n", "f.yaml:3:1: " + tab},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			d := &Diags{File: "f.yaml"}
			if Parse([]byte(c.src), Limits{MaxFileSize: 1 << 20, MaxDepth: 10, MaxAliasNodes: 10, MaxNodes: 1000}, d) != nil {
				t.Fatal("parsed without a problem")
			}
			if len(d.List) != 1 {
				t.Fatalf("want one error, got %v", d.Err())
			}
			if diff := cmp.Diff(c.want, d.List[0].Error()); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

// TestQuotedScalarHint checks that a number or a bool written in quotes
// is refused with the value to write, and other text without that hint.
func TestQuotedScalarHint(t *testing.T) {
	cases := []struct{ src, want string }{
		{`"1"`, `v must be an integer, not a string ("1"); write it without quotes: 1`},
		{`'4'`, `v must be an integer, not a string ("4"); write it without quotes: 4`},
		{`"one"`, `v must be an integer, not a string ("one")`},
		{`one`, `v must be an integer, not a string ("one")`},
		{`"2.5"`, `v must be an integer, not a string ("2.5")`},
	}
	for _, c := range cases {
		var doc yaml.Node
		if err := yaml.Unmarshal([]byte(c.src), &doc); err != nil {
			t.Fatal(err)
		}
		d := &Diags{File: "f.yaml"}
		Int(doc.Content[0], "v", 0, 10, d)
		if len(d.List) != 1 || d.List[0].Msg != c.want {
			t.Errorf("%s: got %v, want %q", c.src, d.Err(), c.want)
		}
	}
	var doc yaml.Node
	if err := yaml.Unmarshal([]byte(`"false"`), &doc); err != nil {
		t.Fatal(err)
	}
	d := &Diags{File: "f.yaml"}
	Bool(doc.Content[0], "fail_fast", d)
	if want := `fail_fast must be true or false, not a string ("false"); write it without quotes: false`; len(d.List) != 1 || d.List[0].Msg != want {
		t.Errorf("got %v, want %q", d.Err(), want)
	}
	d = &Diags{File: "f.yaml"}
	if err := yaml.Unmarshal([]byte(`"2.5"`), &doc); err != nil {
		t.Fatal(err)
	}
	Number(doc.Content[0], "backoff", 1, 10, d)
	if want := `backoff must be a number, not a string ("2.5"); write it without quotes: 2.5`; len(d.List) != 1 || d.List[0].Msg != want {
		t.Errorf("got %v, want %q", d.Err(), want)
	}
}

// TestDuplicateKeyOnOneLine checks that a key repeated on the line of its
// first use, inside { }, is told by its column, not by its own line.
func TestDuplicateKeyOnOneLine(t *testing.T) {
	d := &Diags{File: "f.yaml"}
	var doc yaml.Node
	if err := yaml.Unmarshal([]byte("a: 1\nwith: {message: hi, message: ho}\n"), &doc); err != nil {
		t.Fatal(err)
	}
	Pairs(doc.Content[0].Content[3], "with", d)
	want := `f.yaml:2:21: duplicate key "message" in with (first at column 8 of this line); remove one`
	if err := d.Err(); err == nil || err.Error() != want {
		t.Errorf("got %v, want %s", err, want)
	}
}
