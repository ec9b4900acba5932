package yamlx

import (
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// leadingZero reports whether s, an integer as written, has a 0 before
// its other digits (0755, -010), which YAML reads as octal.
func leadingZero(s string) bool {
	s = strings.TrimLeft(s, "+-")
	return len(s) > 1 && s[0] == '0' && s[1] >= '0' && s[1] <= '9'
}

// WarnOctal warns about a plain integer with a leading 0 whose octal value,
// the one YAML gives it, differs from what its digits say in decimal:
// `mode: 0755` is 493, and `count: 010` is 8. The warning names the
// number and the ways to say what was meant.
func WarnOctal(n *yaml.Node, d *Diags) {
	if n.Kind != yaml.ScalarNode || n.Style != 0 || n.ShortTag() != "!!int" || !leadingZero(n.Value) {
		return
	}
	var v int64
	if n.Decode(&v) != nil {
		return
	}
	if dec, err := strconv.ParseInt(strings.ReplaceAll(n.Value, "_", ""), 10, 64); err == nil && dec == v {
		return
	}
	sign := ""
	if v < 0 {
		sign = "-"
	}
	digits := strings.TrimLeft(strings.ReplaceAll(n.Value, "_", ""), "+-0")
	d.Warn(PosOf(n), "%s is the octal number %d in YAML (a leading 0 means octal); write %d, or %s0o%s to say octal, or quote it (\"%s\") for text",
		n.Value, v, v, sign, digits, n.Value)
}

// PlainSecret is Plain for a value that is never quoted, a secret's: a
// warning about it says what to do without showing the value.
func PlainSecret(n *yaml.Node, what string, d *Diags) any {
	scratch := &Diags{File: d.File}
	v := Plain(n, scratch)
	for _, x := range scratch.List {
		if x.Severity == Warning {
			x.Msg = what + ": a number with a leading 0 is octal in YAML (the value is not shown); quote it for text, or write it without the 0"
		}
		d.List = append(d.List, x)
	}
	return v
}
