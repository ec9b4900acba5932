// Package yamlx reads YAML strictly through yaml.Node: bounded in size,
// depth and alias expansion, one document only, core tags only, duplicate
// and unknown keys reported, and every problem with a line and column. Both
// playbooks and policy files are read with it.
package yamlx

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strconv"
	"unicode/utf8"

	"go.yaml.in/yaml/v3"
)

// Limits bound what Parse accepts.
type Limits struct {
	MaxFileSize   int
	MaxDepth      int
	MaxAliasNodes int
	MaxNodes      int
	SplitHint     string // what to do when the file is too large
	EmptyHint     string // what an empty file is missing
}

// Parse checks the raw bytes and parses exactly one YAML document into a
// node tree whose size, depth, alias expansion and tags are within limits.
// It returns nil after recording diagnostics when the file is unusable.
func Parse(data []byte, lim Limits, d *Diags) *yaml.Node {
	if len(data) > lim.MaxFileSize {
		addTooLarge(data, lim, d)
		return nil
	}
	if !scanBytes(data, d) {
		return nil
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			what := "is empty"
			if onlyComments(data) {
				what = "holds only comments"
			}
			d.Add(Pos{1, 1}, "the file %s; %s", what, lim.EmptyHint)
			return nil
		}
		addSyntaxErr(data, err, lim, d)
		return nil
	}
	var extra yaml.Node
	err := dec.Decode(&extra)
	for err == nil && (emptyDoc(&doc) || emptyDoc(&extra)) {
		// Empty documents, before the value or after it, as generators
		// that write a `---` with every document leave: skipped.
		if emptyDoc(&doc) {
			doc = extra
		}
		extra = yaml.Node{}
		err = dec.Decode(&extra)
	}
	if !errors.Is(err, io.EOF) {
		p := Pos{extra.Line, extra.Column}
		if err != nil {
			p = yamlErrPos(err)
		}
		if bytes.Contains(data, []byte("\n---")) {
			d.Add(p, "a second YAML document follows the first; the file must hold exactly one (remove the '---' and what follows, or move it to its own file)")
		} else {
			d.Add(p, "text follows the file's value; the file must hold exactly one value (remove what follows, or put it inside the value)")
		}
		return nil
	}
	if doc.Kind != yaml.DocumentNode || len(doc.Content) != 1 {
		d.Add(Pos{1, 1}, "the file holds no YAML document")
		return nil
	}
	if IsNull(doc.Content[0]) {
		// `---` alone or `~`: say so at the top rather than report
		// missing keys at a line past the end.
		d.Add(Pos{1, 1}, "the file holds only null; %s", lim.EmptyHint)
		return nil
	}
	w := treeWalk{d: d, lim: lim}
	w.walk(doc.Content[0], 1)
	if w.failed {
		return nil
	}
	return doc.Content[0]
}

// scanBytes rejects NUL bytes, invalid UTF-8 and bidirectional control
// characters, which can make a file read differently from how it runs.
// Their columns count characters after a leading byte order mark.
func scanBytes(data []byte, d *Diags) bool {
	line, col := 1, 1
	i := 0
	if bytes.HasPrefix(data, []byte("\ufeff")) {
		// A byte order mark takes no column, for YAML as for editors.
		i = 3
	}
	for i < len(data) {
		r, size := utf8.DecodeRune(data[i:])
		if r == utf8.RuneError && size <= 1 || r == 0 {
			if msg := notTextMsg(data); msg != "" {
				d.Add(Pos{line, col}, "%s", msg)
				return false
			}
		}
		switch {
		case r == utf8.RuneError && size <= 1:
			d.Add(Pos{line, col}, "invalid UTF-8 byte 0x%02x; save the file as UTF-8", data[i])
			return false
		case r == 0:
			d.Add(Pos{line, col}, "NUL byte in the file; YAML is text: remove it")
			return false
		case isBidi(r):
			d.Add(Pos{line, col}, "bidirectional control character U+%04X can make the file read differently from how it runs; remove it", r)
			return false
		case r == '\n':
			line, col = line+1, 0
		}
		col++
		i += size
	}
	return true
}

func isBidi(r rune) bool {
	return (r >= 0x202A && r <= 0x202E) || (r >= 0x2066 && r <= 0x2069) || r == 0x200E || r == 0x200F || r == 0x061C
}

// coreTags are the only tags a playbook may use.
var coreTags = map[string]bool{
	"!!str": true, "!!int": true, "!!float": true, "!!bool": true, "!!null": true,
	"!!map": true, "!!seq": true, "!!merge": true, "!!timestamp": true,
}

// treeWalk checks the whole tree once, following aliases, so that later
// decoding can follow them freely: the depth, the total node count after
// expansion and the nodes reached through aliases are all bounded here.
type treeWalk struct {
	d          *Diags
	lim        Limits
	nodes      int
	aliasNodes int
	inAlias    int
	alias      *yaml.Node // the outermost alias being expanded
	failed     bool
}

func (w *treeWalk) walk(n *yaml.Node, depth int) {
	if w.failed {
		return
	}
	w.nodes++
	if w.inAlias > 0 {
		w.aliasNodes++
	}
	switch {
	case depth > w.lim.MaxDepth:
		w.fail(n, "nesting is deeper than %d levels; flatten the structure", w.lim.MaxDepth)
		return
	case w.aliasNodes > w.lim.MaxAliasNodes:
		// Point at the alias written in the file, not at a node deep inside
		// what it expands to.
		w.fail(w.alias, "YAML aliases expand to more than %d nodes; this looks like an alias bomb, write the values out or use fewer aliases", w.lim.MaxAliasNodes)
		return
	case w.nodes > w.lim.MaxNodes:
		w.fail(n, "the document has more than %d nodes; %s", w.lim.MaxNodes, w.lim.SplitHint)
		return
	}
	if tag := n.ShortTag(); n.Kind != yaml.AliasNode && !coreTags[tag] {
		w.d.Add(Pos{n.Line, n.Column}, "tag %s is not allowed; only plain YAML values are (remove the tag)", tag)
	}
	switch n.Kind {
	case yaml.AliasNode:
		if n.Alias == nil {
			w.fail(n, "alias *%s refers to no anchor", n.Value)
			return
		}
		if w.inAlias == 0 {
			w.alias = n
		}
		w.inAlias++
		w.walk(n.Alias, depth)
		w.inAlias--
	case yaml.MappingNode, yaml.SequenceNode:
		for _, c := range n.Content {
			w.walk(c, depth+1)
		}
	}
}

func (w *treeWalk) fail(n *yaml.Node, format string, args ...any) {
	w.d.Add(Pos{n.Line, n.Column}, format, args...)
	w.failed = true
}

func PosOf(n *yaml.Node) Pos { return Pos{n.Line, n.Column} }

// deref follows an alias to its anchor.
func Deref(n *yaml.Node) *yaml.Node {
	for n != nil && n.Kind == yaml.AliasNode {
		n = n.Alias
	}
	return n
}

// pair is one key and value of a mapping, after merge keys are applied.
type Pair struct {
	Key  string
	K, V *yaml.Node
}

// mappingPairs returns the pairs of a mapping in order, with `<<` merge keys
// applied (explicit keys win) and duplicate keys reported.
func Pairs(n *yaml.Node, what string, d *Diags) ([]Pair, bool) {
	n = Deref(n)
	if n.Kind != yaml.MappingNode {
		if IsNull(n) {
			return nil, true
		}
		d.Add(PosOf(n), "%s must be a mapping (key: value), not %s", what, KindName(n))
		return nil, false
	}
	var pairs []Pair
	seen := map[string]*yaml.Node{}
	var merged []Pair
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if k.ShortTag() == "!!merge" {
			merged = append(merged, mergeSources(v, d)...)
			continue
		}
		kd := Deref(k)
		if kd.Kind != yaml.ScalarNode {
			d.Add(PosOf(k), "keys in %s must be plain strings", what)
			continue
		}
		if prev, dup := seen[kd.Value]; dup {
			first := fmt.Sprintf("line %d", prev.Line)
			if prev.Line == k.Line {
				first = fmt.Sprintf("column %d of this line", prev.Column)
			}
			d.Add(PosOf(k), "duplicate key %q in %s (first at %s); remove one", kd.Value, what, first)
			continue
		}
		seen[kd.Value] = k
		pairs = append(pairs, Pair{kd.Value, k, v})
	}
	for _, p := range merged {
		if _, ok := seen[p.Key]; !ok {
			seen[p.Key] = p.K
			pairs = append(pairs, p)
		}
	}
	return pairs, true
}

func mergeSources(v *yaml.Node, d *Diags) []Pair {
	v = Deref(v)
	var out []Pair
	switch v.Kind {
	case yaml.MappingNode:
		ps, _ := Pairs(v, "a merged mapping", d)
		out = append(out, ps...)
	case yaml.SequenceNode:
		for _, c := range v.Content {
			out = append(out, mergeSources(c, d)...)
		}
	default:
		d.Add(PosOf(v), "a << merge key takes a mapping or a list of mappings")
	}
	return out
}

func Contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func IsNull(n *yaml.Node) bool {
	n = Deref(n)
	return n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null"
}

func KindName(n *yaml.Node) string { return kindName(n, true) }

// KindOf names the kind of value n is, as KindName does but without
// its text: for a file that may be no YAML meant for us at all (a token
// named by mistake), whose contents must not reach an error.
func KindOf(n *yaml.Node) string { return kindName(n, false) }

func kindName(n *yaml.Node, withText bool) string {
	n = Deref(n)
	text := func(s string) string {
		if withText {
			return " (" + s + ")"
		}
		return ""
	}
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		switch n.ShortTag() {
		case "!!null":
			return "null"
		case "!!int":
			return "an integer" + text(n.Value)
		case "!!float":
			return "a number" + text(n.Value)
		case "!!bool":
			return "a bool" + text(n.Value)
		}
		return "a string" + text(strconv.Quote(Truncate(n.Value, 40)))
	}
	return "something else"
}

func Truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

// str reads a string scalar. Numbers and bools are refused so that a value
// like `version: "1"` or `name: 123` is caught where it is written.
func Str(n *yaml.Node, what string, d *Diags) (string, bool) {
	n = Deref(n)
	if n.Kind != yaml.ScalarNode || n.ShortTag() != "!!str" {
		d.Add(PosOf(n), "%s must be a string, not %s", what, KindName(n))
		return "", false
	}
	return n.Value, true
}

// integer reads an integer scalar within [lo, hi].
func Int(n *yaml.Node, what string, lo, hi int, d *Diags) (int, bool) {
	n = Deref(n)
	if n.Kind != yaml.ScalarNode || n.ShortTag() != "!!int" {
		d.Add(PosOf(n), "%s must be an integer, not %s%s", what, KindName(n), unquoteHint(n, "!!int"))
		return 0, false
	}
	WarnOctal(n, d)
	var v int64
	if err := n.Decode(&v); err != nil {
		d.Add(PosOf(n), "%s: %s is not a valid integer", what, n.Value)
		return 0, false
	}
	if v < int64(lo) || v > int64(hi) {
		d.Add(PosOf(n), "%s is %d; it must be between %d and %d", what, v, lo, hi)
		return 0, false
	}
	return int(v), true
}

// number reads an integer or float scalar within [lo, hi].
func Number(n *yaml.Node, what string, lo, hi float64, d *Diags) (float64, bool) {
	n = Deref(n)
	if n.Kind != yaml.ScalarNode || (n.ShortTag() != "!!int" && n.ShortTag() != "!!float") {
		d.Add(PosOf(n), "%s must be a number, not %s%s", what, KindName(n), unquoteHint(n, "!!int", "!!float"))
		return 0, false
	}
	WarnOctal(n, d)
	var v float64
	if err := n.Decode(&v); err != nil || v != v {
		d.Add(PosOf(n), "%s: %s is not a valid number", what, n.Value)
		return 0, false
	}
	if v < lo || v > hi {
		d.Add(PosOf(n), "%s is %v; it must be between %v and %v", what, v, lo, hi)
		return 0, false
	}
	return v, true
}

func Bool(n *yaml.Node, what string, d *Diags) (bool, bool) {
	n = Deref(n)
	if n.Kind != yaml.ScalarNode || n.ShortTag() != "!!bool" {
		d.Add(PosOf(n), "%s must be true or false, not %s%s", what, KindName(n), unquoteHint(n, "!!bool"))
		return false, false
	}
	return n.Value == "true", true
}

// plain converts a node to plain Go data: string, int, float64, bool, nil,
// []any, map[string]any. The tree was bounded by parseYAML.
func Plain(n *yaml.Node, d *Diags) any {
	n = Deref(n)
	switch n.Kind {
	case yaml.ScalarNode:
		WarnOctal(n, d)
		return Scalar(n)
	case yaml.SequenceNode:
		out := make([]any, len(n.Content))
		for i, c := range n.Content {
			out[i] = Plain(c, d)
		}
		return out
	case yaml.MappingNode:
		pairs, _ := Pairs(n, "this mapping", d)
		out := make(map[string]any, len(pairs))
		for _, p := range pairs {
			out[p.Key] = Plain(p.V, d)
		}
		return out
	}
	return nil
}

// Scalar converts a scalar node to plain Go data. An integer is read as
// the YAML library reads it, as Int does, so that one literal is one number
// wherever it stands: 0755 is octal (493), as in YAML 1.1, Ansible and
// Kubernetes, and WarnOctal says so where it matters.
func Scalar(n *yaml.Node) any {
	switch n.ShortTag() {
	case "!!str", "!!timestamp":
		return n.Value
	case "!!null":
		return nil
	case "!!bool":
		return n.Value == "true"
	case "!!int":
		if !leadingZero(n.Value) {
			if v, err := strconv.ParseInt(n.Value, 10, 64); err == nil {
				return int(v)
			}
		}
		// YAML's own reading, as Int and Number take it: 0755 is octal.
		var v int64
		if n.Decode(&v) == nil {
			return int(v)
		}
		var f float64
		if n.Decode(&f) == nil {
			return f
		}
	case "!!float":
		var f float64
		if n.Decode(&f) == nil {
			return f
		}
	}
	return n.Value
}
