package exprsafe

import "strings"

// Span is one ${{ }} found in a string: the expression's text, trimmed,
// and its byte offsets in the string.
type Span struct {
	Src        string
	Start, End int // of "${{", and after "}}"
	SrcOff     int // of Src
}

// NotClosed is the problem Scan reports for a ${{ that no }} closes.
const NotClosed = "${{ is not closed by }}; close it, or write $${{ for a literal ${{"

// Scan finds the ${{ }} spans of s, for playbook values and operation
// templates alike. An expression ends at the first "}}" outside string
// literals and braces (CloseExpr), so `${{ {"a": {"b": 1}} }}` works, and
// "$${{" is a literal "${{". It returns the literal pieces around the
// spans (one more than the spans), or, when a span is not closed, the
// problem and the byte offset of its "${{".
func Scan(s string) (texts []string, spans []Span, problem string, at int) {
	var text strings.Builder
	i := 0
	for {
		j := strings.Index(s[i:], "${{")
		if j < 0 {
			text.WriteString(s[i:])
			texts = append(texts, text.String())
			return texts, spans, "", 0
		}
		j += i
		if j > 0 && s[j-1] == '$' {
			text.WriteString(s[i : j-1])
			text.WriteString("${{")
			i = j + 3
			continue
		}
		text.WriteString(s[i:j])
		end := CloseExpr(s, j+3)
		if end < 0 {
			return nil, nil, NotClosed, j
		}
		texts = append(texts, text.String())
		text.Reset()
		raw := s[j+3 : end]
		lead := len(raw) - len(strings.TrimLeft(raw, " \t\r\n"))
		spans = append(spans, Span{Src: strings.TrimSpace(raw), Start: j, End: end + 2, SrcOff: j + 3 + lead})
		i = end + 2
	}
}
