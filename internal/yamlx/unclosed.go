package yamlx

import (
	"bytes"
	"fmt"
	"regexp"
	"strings"
)

// Brackets and quotes left open when the file ends: the YAML library
// reports them at the line where it gave up, often the last one or one
// past it, with "did not find expected node content"; the fix goes where
// the bracket or quote was opened.

// endMsgs are the YAML library's messages for a file that ends inside a
// flow collection or a quoted scalar.
var endMsgs = []string{
	"did not find expected node content",
	"did not find expected ',' or ']'",
	"did not find expected ',' or '}'",
	"found unexpected end of stream",
}

// opener is a bracket or quote and where it is.
type opener struct {
	pos Pos
	c   byte
}

// unclosedMsg is the diagnostic for err, a syntax error of data found at
// p, when data ends inside a bracket or quote opened at or before p: the
// position of the innermost one and the message. ok is false for any
// other error, which is reported as the YAML library says.
func unclosedMsg(data []byte, err error, p Pos) (at Pos, msg string, ok bool) {
	lib := yamlErrMsg(err)
	if i := strings.Index(lib, "; "); i >= 0 {
		lib = lib[:i] // the hint yamlErrMsg adds
	}
	lib = strings.TrimPrefix(lib, "YAML syntax: ")
	known := false
	for _, m := range endMsgs {
		known = known || strings.Contains(lib, m)
	}
	if !known {
		return Pos{}, "", false
	}
	open, swallowed := unclosedAtEnd(data)
	if len(open) == 0 || swallowed {
		// A comment took the closing bracket with it: syntaxMsg says
		// so, quoting the comment.
		return Pos{}, "", false
	}
	in := open[len(open)-1]
	if in.pos.Line > p.Line {
		// Opened after the mistake the library stopped at: another one.
		return Pos{}, "", false
	}
	msg = fmt.Sprintf("YAML syntax: the %c opened here is not closed before the file ends (%s); close it with %c", in.c, lib, closer(in.c))
	if len(open) > 1 {
		var all []byte
		for i := len(open) - 1; i >= 0; i-- {
			all = append(all, closer(open[i].c))
		}
		first := open[0].pos
		msg += fmt.Sprintf(" (the file ends inside %s, the first opened at %d:%d: add %s to close them all)", countOpen(open), first.Line, first.Col, all)
	}
	return in.pos, msg, true
}

// countOpen names what open holds in words: "2 unclosed brackets", or
// "an unclosed quote and 1 unclosed bracket" when the innermost is a
// quote (only the innermost can be one).
func countOpen(open []opener) string {
	brackets := len(open)
	quote := ""
	if c := open[len(open)-1].c; c == '"' || c == '\'' {
		brackets--
		quote = "an unclosed quote and "
	}
	noun := "brackets"
	if brackets == 1 {
		noun = "bracket"
	}
	return fmt.Sprintf("%s%d unclosed %s", quote, brackets, noun)
}

func closer(c byte) byte {
	switch c {
	case '[':
		return ']'
	case '{':
		return '}'
	}
	return c
}

// blockIndicator matches the rest of a line that starts a block scalar:
// | or > with its indicators, and perhaps a comment.
var blockIndicator = regexp.MustCompile(`^[|>][0-9+-]*[ \t]*(#.*)?\r?$`)

// unclosedAtEnd returns the brackets of flow collections, outermost
// first, and a quote, last, that are open where data ends; swallowed
// tells of a comment inside an open collection that holds a closing
// bracket, which the author meant as one. It reads
// brackets and quotes where a collection or a quoted scalar may start,
// and skips quoted text, comments and block scalars (| and >), whose
// brackets are text; columns count characters after a byte order mark.
func unclosedAtEnd(data []byte) (open []opener, swallowed bool) {
	data = bytes.TrimPrefix(data, []byte("\ufeff"))
	var stack []opener
	var quote *opener
	prev := byte('\n') // the last character that is not a blank
	lines := bytes.SplitAfter(data, []byte("\n"))
	for li := 0; li < len(lines); li++ {
		text := lines[li]
		line, col := li+1, 0
		if quote == nil {
			prev = '\n'
		}
		for i := 0; i < len(text); i++ {
			c := text[i]
			if c&0xC0 != 0x80 {
				col++ // a character starts here
			}
			starts := prev == '\n' || prev == ':' || prev == '-' || len(stack) > 0 && strings.IndexByte(",?[{", prev) >= 0
			switch {
			case quote != nil:
				switch {
				case c == '\\' && quote.c == '"':
					i++
				case c == '\'' && quote.c == '\'' && i+1 < len(text) && text[i+1] == '\'':
					i++ // '' is a quote inside single quotes
				case c == quote.c:
					quote = nil
				}
			case c == '#' && (i == 0 || text[i-1] == ' ' || text[i-1] == '\t'):
				swallowed = swallowed || len(stack) > 0 && bytes.ContainsAny(text[i:], "]}")
				i = len(text) // a comment, to the line end
			case (c == '"' || c == '\'') && starts:
				quote = &opener{Pos{line, col}, c}
			case (c == '[' || c == '{') && starts:
				stack = append(stack, opener{Pos{line, col}, c})
			case (c == ']' || c == '}') && len(stack) > 0:
				stack = stack[:len(stack)-1]
			case (c == '|' || c == '>') && len(stack) == 0 && starts && blockIndicator.Match(text[i:]):
				li = skipBlock(lines, li)
				i = len(text)
			}
			if c != ' ' && c != '\t' && c != '\r' && c != '\n' {
				prev = c
			}
		}
	}
	if quote != nil {
		stack = append(stack, *quote)
	}
	return stack, swallowed
}

// skipBlock returns the index of the last line of the block scalar whose
// indicator ends lines[li]: the lines after it that are blank or indented
// deeper than the node holding the scalar (a key, or a list item's dash
// when the scalar is the item).
func skipBlock(lines [][]byte, li int) int {
	head := lines[li]
	parent := 0
	for parent < len(head) && head[parent] == ' ' {
		parent++
	}
	for parent+1 < len(head) && head[parent] == '-' && (head[parent+1] == ' ' || head[parent+1] == '\t') {
		next := parent + 1
		for next < len(head) && (head[next] == ' ' || head[next] == '\t') {
			next++
		}
		if next < len(head) && (head[next] == '|' || head[next] == '>') {
			break // the item is the scalar: its dash holds it
		}
		parent = next
	}
	for li+1 < len(lines) {
		l := lines[li+1]
		n := 0
		for n < len(l) && l[n] == ' ' {
			n++
		}
		if n < len(bytes.TrimRight(l, " \t\r\n")) && n <= parent {
			break
		}
		li++
	}
	return li
}
