package steps

import (
	"bytes"
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/joho/godotenv"

	"github.com/arsenal-run/arsenal-run/internal/shellword"
)

// ParseEnvFile parses dotenv text with github.com/joho/godotenv: NAME=value
// lines, `export ` prefixes, # comments, single-quoted literal values and
// double-quoted values with \n escapes and $NAME expansion of the
// variables defined above. Every name must be a valid environment variable
// name. A leading byte order mark, which Windows editors write, is
// skipped, as in a playbook.
//
// Every bad line is reported, not only the first: the error is an
// *EnvFileError with the line and column of the mistake when there is
// one, an EnvFileErrors in line order when there are several. A quoted
// value left open ends the search, as it takes in the rest of the file.
func ParseEnvFile(data []byte) (map[string]string, error) {
	if bytes.HasPrefix(data, []byte{0xff, 0xfe}) || bytes.HasPrefix(data, []byte{0xfe, 0xff}) {
		// As Windows PowerShell's `echo A=1 > .env` writes it: godotenv
		// would stop at the NUL byte after the first letter.
		return nil, &EnvFileError{Line: 1, Col: 1, Msg: "the file is UTF-16 (its byte order mark says so); save it as UTF-8, as dotenv files are"}
	}
	src := bytes.TrimPrefix(data, []byte("\ufeff"))
	var errs EnvFileErrors
	last, cut := 0, false
	for {
		vars, err := godotenv.UnmarshalBytes(src)
		if err == nil {
			errs = append(errs, envNameErrors(src, vars)...)
			if len(errs) == 0 {
				return vars, nil
			}
			break
		}
		e, open := envSyntaxError(src, err)
		// godotenv stops at the first mistake, so all before it read
		// well: a mistake found earlier is one of the blanking's making.
		if cut || e.Line <= last {
			if len(errs) == 0 {
				errs = append(errs, e)
			}
			break
		}
		errs = append(errs, e)
		last = e.Line
		if open {
			// The quote takes in the rest of the file: check the names
			// of the lines above it, and stop there.
			src, cut = src[:lineStart(src, e.Line)], true
			continue
		}
		next, ok := blankLine(src, e.Line)
		if !ok {
			break
		}
		src = next
	}
	sort.SliceStable(errs, func(i, j int) bool {
		if errs[i].Line != errs[j].Line {
			return errs[i].Line < errs[j].Line
		}
		return errs[i].Col < errs[j].Col
	})
	if len(errs) == 1 {
		return nil, errs[0]
	}
	return nil, errs
}

// EnvFileErrors is every problem found in one dotenv file, in line
// order; errors.As finds the first as an *EnvFileError.
type EnvFileErrors []*EnvFileError

// Error prints each problem as EnvFileError does, one a line.
func (es EnvFileErrors) Error() string {
	lines := make([]string, len(es))
	for i, e := range es {
		lines[i] = e.Error()
	}
	return strings.Join(lines, "\n")
}

// Unwrap gives each problem, for errors.As.
func (es EnvFileErrors) Unwrap() []error {
	out := make([]error, len(es))
	for i, e := range es {
		out[i] = e
	}
	return out
}

// envFileErr names the env file at path in each problem err gives: one
// error a problem, joined, so that a caller can tell them apart through
// their Unwrap() []error.
func envFileErr(path string, err error) error {
	var list EnvFileErrors
	if !errors.As(err, &list) {
		return fmt.Errorf("env_file %s:%w", path, err)
	}
	out := make([]error, len(list))
	for i, e := range list {
		out[i] = fmt.Errorf("env_file %s:%w", path, e)
	}
	return errors.Join(out...)
}

// envSyntaxError turns godotenv's error about src into the line, column
// and words of the mistake; open tells that it is a quoted value never
// closed.
func envSyntaxError(src []byte, err error) (e *EnvFileError, open bool) {
	line, col, found := dotenvErrPos(src, err)
	msg := err.Error()
	if i := strings.Index(msg, " near "); i >= 0 {
		msg = msg[:i] // the rest of the file, quoted
	}
	switch {
	case strings.HasPrefix(msg, "unterminated quoted value"):
		return &EnvFileError{Line: line, Col: col, Msg: "unterminated quoted value; close the quote"}, true
	case found == "\n":
		// The line ended before an = (a word alone, or text after a
		// quoted value, which godotenv reads as the next name).
		msg = "the line has no = after the name"
		if at, ok := afterQuote(src, line, col); ok {
			return &EnvFileError{Line: line, Col: at, Msg: "text after the closing quote of the value; put the whole value inside the quotes, or begin a comment with a space and #"}, false
		}
	case found != "":
		// godotenv quotes a byte of a multi-byte character as if it
		// were one.
		msg = fmt.Sprintf("unexpected character %q in variable name (letters, digits and _ only)", found)
	}
	return &EnvFileError{Line: line, Col: col, Msg: msg + "; write NAME=value, one a line"}, false
}

// envNameErrors checks the names and values godotenv read from src: each
// name a valid environment variable name, no value holding a NUL byte.
func envNameErrors(src []byte, vars map[string]string) []*EnvFileError {
	var bad, nul []string
	for k, v := range vars {
		if !shellword.IsName(k) {
			bad = append(bad, k)
		}
		if strings.IndexByte(v, 0) >= 0 {
			nul = append(nul, k)
		}
	}
	sort.Strings(bad)
	sort.Strings(nul)
	var errs []*EnvFileError
	for _, name := range bad {
		line, col := nameLine(src, name)
		msg := fmt.Sprintf("%q is not a valid environment variable name (letters, digits and _, not starting with a digit)", name)
		if name == "" {
			msg = "the line has no name before its =, or no = at all; write NAME=value, one a line"
		}
		errs = append(errs, &EnvFileError{Line: line, Col: col, Msg: msg})
	}
	for _, name := range nul {
		// No process could be started with it: every step that starts
		// one would fail, far from here.
		line, col := nameLine(src, name)
		errs = append(errs, &EnvFileError{Line: line, Col: col, Msg: fmt.Sprintf("the value of %s holds a NUL byte, which an environment variable cannot hold; remove it", name)})
	}
	return errs
}

// lineStart is the offset in src where its 1-based line begins, len(src)
// past its last line.
func lineStart(src []byte, line int) int {
	off := 0
	for n := 1; n < line; n++ {
		i := bytes.IndexByte(src[off:], '\n')
		if i < 0 {
			return len(src)
		}
		off += i + 1
	}
	return off
}

// blankLine returns src with the text of its 1-based line removed and
// its line break kept, so that the lines below keep their numbers; ok is
// false when the line holds nothing to remove.
func blankLine(src []byte, line int) ([]byte, bool) {
	start := lineStart(src, line)
	end := len(src)
	if i := bytes.IndexByte(src[start:], '\n'); i >= 0 {
		end = start + i
	}
	if start >= end {
		return nil, false
	}
	out := make([]byte, 0, len(src)-(end-start))
	out = append(out, src[:start]...)
	return append(out, src[end:]...), true
}
