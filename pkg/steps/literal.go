package steps

import (
	"regexp"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/arsenal-run/arsenal-run/internal/exprsafe"
)

// Text written as {{ inputs.x }} (Ansible, Jinja, Go templates) or
// ${ inputs.x } (shell, JavaScript) is not interpolated: only ${{ }} is. A
// value holding such text still loads, since it may be meant literally (a
// template written to a file), but gets a warning naming the ${{ }} form.
var (
	doubleBraceRE = regexp.MustCompile(`\{\{([^{}]*)\}\}`)
	dollarBraceRE = regexp.MustCompile(`\$\{([^{}]*)\}`)
	// exprRootRE is what the inside of such text must start with to count
	// as a misspelt expression: a name of the expression environment
	// followed by a field, so that ${HOME} or {{ .Values.x }} pass.
	exprRootRE = regexp.MustCompile(`^(inputs|vars|steps|env|run)\s*[.\[]`)
	// itemRE is item or index alone or with a field. In ${ } it counts
	// only with a space after the brace, so the shell's ${item} passes.
	itemRE = regexp.MustCompile(`^(item|index)\b`)
)

// warnLiteralExprs warns about {{ x }} and ${ x } in the text of a string
// scalar outside its ${{ }} spans.
func (l *loader) warnLiteralExprs(n *yaml.Node, spans []exprsafe.Span) {
	s := n.Value
	if !strings.Contains(s, "{{") && !strings.Contains(s, "${") {
		return
	}
	inSpan := func(i int) bool {
		for _, sp := range spans {
			if i >= sp.Start && i < sp.End {
				return true
			}
		}
		return false
	}
	for _, m := range doubleBraceRE.FindAllStringSubmatchIndex(s, -1) {
		start := m[0]
		if inSpan(start) || start > 0 && s[start-1] == '$' {
			continue
		}
		inner := strings.TrimSpace(s[m[2]:m[3]])
		if exprRootRE.MatchString(inner) || itemRE.MatchString(inner) {
			l.d.Warn(l.posAt(n, start), "%s is not interpolated and stays literal text; to use the value write ${{ %s }}", s[m[0]:m[1]], inner)
		}
	}
	for _, m := range dollarBraceRE.FindAllStringSubmatchIndex(s, -1) {
		start := m[0]
		if inSpan(start) {
			continue
		}
		raw := s[m[2]:m[3]]
		inner := strings.TrimSpace(raw)
		spaced := len(raw) > 0 && (raw[0] == ' ' || raw[0] == '\t')
		if exprRootRE.MatchString(inner) || spaced && itemRE.MatchString(inner) {
			l.d.Warn(l.posAt(n, start), "%s is not interpolated and stays literal text; to use the value write ${{ %s }}", s[m[0]:m[1]], inner)
		}
	}
}
