package yamlx

import "fmt"

// A # after a blank begins a comment in YAML, also inside { } and [ ]:
// `{id: a, when: any(xs, # > 1)}` loses `# > 1)}` and the brackets that
// close it, and the library then says only that it did not find what it
// expected. flowComment finds such a comment, so the message can say so.

// flowComment returns the comment that a # after a blank starts on line,
// when it stands inside a [ ] or { } opened earlier on the line and not
// inside quotes; else "".
func flowComment(line []byte) string {
	depth := 0
	var quote byte
	for i := 0; i < len(line); i++ {
		c := line[i]
		switch {
		case quote != 0:
			switch {
			case c == '\\' && quote == '"':
				i++
			case c == '\'' && quote == '\'' && i+1 < len(line) && line[i+1] == '\'':
				i++ // '' is a quote inside single quotes
			case c == quote:
				quote = 0
			}
		case c == '"' || c == '\'':
			if i == 0 || isFlowStart(line[i-1]) {
				quote = c
			}
		case c == '[' || c == '{':
			depth++
		case (c == ']' || c == '}') && depth > 0:
			depth--
		case c == '#' && i > 0 && (line[i-1] == ' ' || line[i-1] == '\t'):
			if depth == 0 {
				return ""
			}
			return string(line[i:])
		}
	}
	return ""
}

// isFlowStart reports whether a quote after c starts a quoted scalar.
func isFlowStart(c byte) bool {
	switch c {
	case ' ', '\t', ':', ',', '[', '{', '-', '?':
		return true
	}
	return false
}

// flowCommentHint is what a syntax error on a line with such a comment
// adds.
func flowCommentHint(comment string) string {
	return fmt.Sprintf("; YAML took the rest of the line, %q, for a comment (a # after a space begins one, inside { } and [ ] too): quote the value that holds it", comment)
}
