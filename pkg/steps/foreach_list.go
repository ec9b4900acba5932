package steps

import (
	"math"
	"regexp"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/arsenal-run/arsenal-run/internal/yamlx"
)

// exprRef is text that reads as an expression's name (inputs.hosts,
// steps.find.output), which a YAML list takes as literal text.
var exprRef = regexp.MustCompile(`^(inputs|vars|steps|env|run|item|index|inventory)(\.|\[|\()`)

// literalForeach reads foreach: written as a YAML list, as Ansible's
// loop: [a, b] is: its items are literal values, so it is the expression
// of a list of constants. An item written as an expression, or that reads
// like one, is a problem: YAML would make it text.
func (l *loader) literalForeach(n *yaml.Node, s *Step) *Expr {
	n = yamlx.Deref(n)
	for _, it := range n.Content {
		if v, ok := exprText(it); ok {
			how := " giving the list"
			if list, ok := exprList(n); ok {
				how = ", quoted: foreach: '" + strings.ReplaceAll(list, "'", "''") + "'"
			}
			l.d.Add(yamlx.PosOf(it), "the items of a foreach list written in YAML are literal values, so %q would be that text; to compute them, write foreach as one expression%s%s", v, how, quoteHint(it, v))
			return nil
		}
	}
	var b strings.Builder
	if !l.literalSource(n, &b) {
		return nil
	}
	e := l.expr(n, b.String(), 0, l.stepScope(s)&^scopeItem, s, false, -1)
	l.pending[len(l.pending)-1].list = true
	return e
}

// literalSource writes the expression of the literal n to b, or reports
// why it has none and returns false.
func (l *loader) literalSource(n *yaml.Node, b *strings.Builder) bool {
	return writeSource(n, b, false, l.d)
}

// writeSource writes the value n as an expression to b: its lists, maps
// and scalars as their literals. With wholeExprs, a string that is one
// ${{ x }} whole is written as x (for a message that offers the
// expression to write); without, ${{ }} in a string is a problem. It
// reports in d why n has no expression and returns false.
func writeSource(n *yaml.Node, b *strings.Builder, wholeExprs bool, d *yamlx.Diags) bool {
	n = yamlx.Deref(n)
	switch n.Kind {
	case yaml.SequenceNode, yaml.MappingNode:
		open, end, step := "[", "]", 1
		if n.Kind == yaml.MappingNode {
			open, end, step = "{", "}", 2
		}
		b.WriteString(open)
		for i := 0; i+step-1 < len(n.Content); i += step {
			if i > 0 {
				b.WriteString(", ")
			}
			if step == 2 {
				k := yamlx.Deref(n.Content[i])
				if k.Kind != yaml.ScalarNode {
					d.Add(yamlx.PosOf(k), "a key of a foreach list's item must be text")
					return false
				}
				b.WriteString(strconv.Quote(k.Value) + ": ")
			}
			if !writeSource(n.Content[i+step-1], b, wholeExprs, d) {
				return false
			}
		}
		b.WriteString(end)
		return true
	case yaml.ScalarNode:
		switch v := yamlx.Scalar(n).(type) {
		case nil:
			b.WriteString("nil")
		case bool:
			b.WriteString(strconv.FormatBool(v))
		case int:
			b.WriteString(strconv.Itoa(v))
		case float64:
			if math.IsInf(v, 0) || math.IsNaN(v) {
				d.Add(yamlx.PosOf(n), "a foreach list's item must be a finite number, not %s", n.Value)
				return false
			}
			b.WriteString(strconv.FormatFloat(v, 'g', -1, 64))
		case string:
			if !strings.Contains(v, "${{") {
				b.WriteString(strconv.Quote(v))
				break
			}
			if x, ok := exprText(n); wholeExprs && ok && strings.HasPrefix(strings.TrimSpace(v), "${{") {
				b.WriteString(x)
				break
			}
			d.Add(yamlx.PosOf(n), "a foreach list written in YAML holds literal values, and ${{ }} is not read in it; to compute its items, write foreach as one expression giving the list")
			return false
		default:
			b.WriteString(strconv.Quote(n.Value))
		}
		return true
	}
	d.Add(yamlx.PosOf(n), "foreach is an expression giving a list, a YAML list of values, or {matrix: ...}")
	return false
}

// exprText is the expression an item of a YAML list stands for when it
// is one: ${{ x }} whole, or unquoted text that reads as a name
// (inputs.hosts). Quoted text ("run.sh", 'env.prod') is the text.
func exprText(n *yaml.Node) (string, bool) {
	n = yamlx.Deref(n)
	if n.Kind != yaml.ScalarNode || n.ShortTag() != "!!str" {
		return "", false
	}
	v := strings.TrimSpace(n.Value)
	if strings.HasPrefix(v, "${{") && strings.HasSuffix(v, "}}") && strings.Count(v, "${{") == 1 {
		return strings.TrimSpace(v[3 : len(v)-2]), true
	}
	return v, n.Style&(yaml.DoubleQuotedStyle|yaml.SingleQuotedStyle) == 0 && exprRef.MatchString(v)
}

// quoteHint tells how to keep an unquoted item that reads as a name
// (run.sh) as the text it is.
func quoteHint(n *yaml.Node, v string) string {
	n = yamlx.Deref(n)
	if n.Style&(yaml.DoubleQuotedStyle|yaml.SingleQuotedStyle) != 0 || strings.Contains(n.Value, "${{") {
		return ""
	}
	return "; or, for the text itself, quote it: " + strconv.Quote(v)
}

// exprList is the YAML list n as one expression, for a message: an item
// that stands for an expression as it, the others as their literals, in
// which a string that is one ${{ x }} whole stands for x too ({name:
// "${{ inputs.host }}"} is {"name": inputs.host}). It is false when an
// item has no such expression (${{ }} inside other text): a list that
// left it out, or wrote it as text, would not be the one meant.
func exprList(n *yaml.Node) (string, bool) {
	items := make([]string, len(n.Content))
	for i, it := range n.Content {
		if v, ok := exprText(it); ok {
			items[i] = v
			continue
		}
		var b strings.Builder
		if !writeSource(it, &b, true, &yamlx.Diags{}) {
			return "", false
		}
		items[i] = b.String()
	}
	return "[" + strings.Join(items, ", ") + "]", true
}
