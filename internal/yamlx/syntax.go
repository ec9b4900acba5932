package yamlx

import (
	"bytes"
	"errors"
	"io"
	"regexp"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Syntax errors: the YAML library's message, where it is, and a hint for
// the usual causes.

// addSyntaxErr records err, the YAML reader's error for data, at the
// mistake and with a hint for the usual causes.
func addSyntaxErr(data []byte, err error, lim Limits, d *Diags) {
	if p, name, ok := unknownAnchorPos(data, err); ok {
		d.Add(p, "%s", unknownAnchorMsg(name))
		return
	}
	p := syntaxErrPos(data, err)
	if strings.Contains(err.Error(), "exceeded max depth of") {
		// The YAML reader's own bound, far past MaxDepth: the message a
		// file nested past MaxDepth alone gets.
		d.Add(p, "nesting is deeper than %d levels; flatten the structure", lim.MaxDepth)
		return
	}
	if at, msg, ok := unclosedMsg(data, err, p); ok {
		d.Add(at, "%s", msg)
		return
	}
	if at, msg, ok := slipMsg(data, err, p); ok {
		d.Add(at, "%s", msg)
		return
	}
	msg := syntaxMsg(data, p, err)
	if msg == tabMsg {
		p = tabPos(data, p)
	}
	d.Add(p, "%s", msg)
}

var yamlLineRE = regexp.MustCompile(`^yaml: line (\d+): `)

func yamlErrPos(err error) Pos {
	if m := yamlLineRE.FindStringSubmatch(err.Error()); m != nil {
		n, _ := strconv.Atoi(m[1])
		return Pos{n, 1}
	}
	var te *yaml.TypeError
	if errors.As(err, &te) {
		return Pos{1, 1}
	}
	return Pos{1, 1}
}

func yamlErrMsg(err error) string {
	msg := yamlLineRE.ReplaceAllString(err.Error(), "")
	msg = strings.TrimPrefix(msg, "yaml: ")
	switch {
	case strings.Contains(msg, "expected ',' or '}'") || strings.Contains(msg, "expected ',' or ']'"):
		// The usual cause: a plain value inside { } or [ ] holding a comma,
		// a colon followed by a space, or a question mark.
		msg += "; inside { } and [ ], quote values that contain , : ? or brackets"
	case strings.Contains(msg, "did not find expected key") || strings.Contains(msg, "did not find expected '-' indicator"):
		msg += "; check this line's indentation: the keys of one mapping, and the items of one list, start in the same column"
	case strings.Contains(msg, "found unexpected end of stream"):
		msg += "; a quote or bracket opened on this line is not closed"
	case strings.Contains(msg, "found incompatible YAML document"):
		// A %YAML directive other than 1.1 (YAML 1.2 files say %YAML 1.2).
		msg += "; the %YAML directive must say 1.1, or be left out: remove the %YAML line"
	case strings.Contains(msg, "mapping values are not allowed in this context"):
		msg += "; check the indentation of this line and the one above, and quote a value that contains \": \""
	}
	return "YAML syntax: " + msg
}

// tabMsg is the message for a tab in a line's indentation, which the YAML
// library reports as a character that cannot start any token, or names
// without saying that spaces are the fix.
const tabMsg = "YAML syntax: a tab in the indentation; YAML indents with spaces only: replace the tab with spaces"

// syntaxMsg is the message for a syntax error that syntaxErrPos placed at
// p in data: yamlErrMsg's, unless a tab in the indentation caused it.
func syntaxMsg(data []byte, p Pos, err error) string {
	msg := yamlErrMsg(err)
	switch {
	case strings.Contains(msg, "found a tab character"):
		return tabMsg
	case strings.Contains(msg, "found character that cannot start any token") && indentHasTab(lineAt(data, p.Line)) && !inFlow(data, p.Line):
		// Inside [ ] or { } (a JSON playbook, say) tabs are allowed:
		// the character that cannot start a token is another one.
		return tabMsg
	}
	if strings.Contains(msg, "did not find expected key") || strings.Contains(msg, "mapping values are not allowed in this context") {
		if m := keylessListMsg(data, p.Line); m != "" {
			return m
		}
	}
	if c := flowComment(lineAt(data, p.Line)); c != "" && strings.Contains(msg, "did not find expected") {
		if i := strings.Index(msg, "; inside { } and [ ]"); i >= 0 {
			msg = msg[:i]
		}
		return msg + flowCommentHint(c)
	}
	return msg
}

// inFlow reports whether line n (from 1) of data starts inside a flow
// collection, [ ] or { }, opened on an earlier line. It reads brackets
// and quotes where a collection or a quoted scalar may start (after the
// line's indentation, ":", "-", ",", "?" or an opener), and skips quoted
// text and comments, which is enough to tell a JSON or flow-style
// document from block YAML.
func inFlow(data []byte, n int) bool {
	depth, line := 0, 1
	var quote byte
	prev := byte('\n') // the last character that is not a blank
	for i := 0; i < len(data) && line < n; i++ {
		c := data[i]
		switch {
		case quote != 0:
			switch {
			case c == '\\' && quote == '"':
				i++
			case c == quote:
				quote = 0
			}
		case c == '#' && (i == 0 || data[i-1] == ' ' || data[i-1] == '\t' || data[i-1] == '\n'):
			for i < len(data) && data[i] != '\n' {
				i++
			}
			i-- // the line end is read next
			continue
		case (c == '"' || c == '\'') && strings.IndexByte("\n:-,?[{", prev) >= 0:
			quote = c // a quote inside plain text (it's) starts nothing
		case (c == '[' || c == '{') && strings.IndexByte("\n:-,?[{", prev) >= 0:
			depth++
		case (c == ']' || c == '}') && depth > 0:
			depth--
		}
		if c == '\n' {
			line++
		}
		if c != ' ' && c != '\t' {
			prev = c
		}
	}
	return depth > 0
}

// lineAt returns line n (from 1) of data, without its line end, and
// without the byte order mark that may start the file, which takes no
// column.
func lineAt(data []byte, n int) []byte {
	data = bytes.TrimPrefix(data, []byte("\ufeff"))
	for i := 1; i < n; i++ {
		j := bytes.IndexByte(data, '\n')
		if j < 0 {
			return nil
		}
		data = data[j+1:]
	}
	if j := bytes.IndexByte(data, '\n'); j >= 0 {
		data = data[:j]
	}
	return data
}

// indentHasTab reports whether the blanks that start line hold a tab,
// the blanks after a list item's "-" included (`-\tid: a`), as they
// indent the item's content.
func indentHasTab(line []byte) bool {
	for i, c := range line {
		switch {
		case c == '\t':
			return true
		case c == ' ':
		case c == '-' && i+1 < len(line) && (line[i+1] == ' ' || line[i+1] == '\t'):
		default:
			return false
		}
	}
	return false
}

// tabPos is the position of the first tab in the indentation of line
// p.Line of data (indentHasTab's blanks), where the fix goes, rather than
// where the line's text starts past it; p when that line has no such tab.
func tabPos(data []byte, p Pos) Pos {
	line := lineAt(data, p.Line)
	for i, c := range line {
		switch {
		case c == '\t':
			return Pos{p.Line, i + 1}
		case c == ' ':
		case c == '-' && i+1 < len(line) && (line[i+1] == ' ' || line[i+1] == '\t'):
		default:
			return p
		}
	}
	return p
}

// syntaxErrPos finds where a syntax error is. For many errors the YAML
// library names the line where the enclosing mapping or list starts, which
// can be many lines above the mistake (a key indented one space less than
// its siblings is reported at the line of the list item holding it). The
// mistake is on the first line at which the document read so far fails
// with the same message, so a binary search over the lines from the
// reported one finds it; the column is where that line's text starts.
func syntaxErrPos(data []byte, err error) Pos {
	reported := yamlErrPos(err)
	m := yamlLineRE.FindStringSubmatch(err.Error())
	if m == nil {
		return reported
	}
	want := yamlErrMsg(err)
	starts := []int{0} // byte offset of each line
	for i, b := range data {
		if b == '\n' {
			starts = append(starts, i+1)
		}
	}
	prefix := func(lines int) []byte {
		if lines >= len(starts) {
			return data
		}
		return data[:starts[lines]]
	}
	same := func(lines int) bool {
		var n yaml.Node
		err := yaml.NewDecoder(bytes.NewReader(prefix(lines))).Decode(&n)
		return err != nil && !errors.Is(err, io.EOF) && yamlErrMsg(err) == want
	}
	lo, hi := reported.Line, len(starts) // same(hi) holds: hi lines are the whole file
	if lo < 1 || lo > hi || !same(hi) {
		return reported
	}
	for lo < hi {
		mid := lo + (hi-lo)/2
		if same(mid) {
			hi = mid
		} else {
			lo = mid + 1
		}
	}
	line := hi
	text := prefix(line)[starts[line-1]:]
	col := 1
	for _, c := range text {
		if c != ' ' && c != '\t' {
			break
		}
		col++
	}
	if col > len(text) || text[col-1] == '\n' || text[col-1] == '\r' {
		col = 1 // a blank line
	}
	return Pos{line, col}
}
