package yamlx

import (
	"bytes"
	"errors"
	"io"
	"regexp"

	"go.yaml.in/yaml/v3"
)

// The YAML library reports an alias to an anchor that is not defined
// (a typo in its name, or an alias above its anchor) without a line.

var unknownAnchorRE = regexp.MustCompile(`unknown anchor '([^']*)' referenced`)

// unknownAnchorPos finds the alias that err, an unknown anchor, names:
// on the first line at which the document read so far fails with it,
// or, when a [ ] or { } spanning lines hides it there, the last line
// above holding the alias's text. ok is false for other errors.
func unknownAnchorPos(data []byte, err error) (p Pos, name string, ok bool) {
	m := unknownAnchorRE.FindStringSubmatch(err.Error())
	if m == nil {
		return Pos{}, "", false
	}
	name = m[1]
	lines := bytes.SplitAfter(data, []byte("\n"))
	fails := func(n int) bool {
		var doc yaml.Node
		e := yaml.NewDecoder(bytes.NewReader(bytes.Join(lines[:n], nil))).Decode(&doc)
		return e != nil && !errors.Is(e, io.EOF) && e.Error() == err.Error()
	}
	lo, hi := 1, len(lines)
	if !fails(hi) {
		return Pos{1, 1}, name, true
	}
	for lo < hi {
		mid := lo + (hi-lo)/2
		if fails(mid) {
			hi = mid
		} else {
			lo = mid + 1
		}
	}
	alias := []byte("*" + name)
	for l := hi; l >= 1; l-- {
		line := lines[l-1]
		if l == 1 {
			line = bytes.TrimPrefix(line, []byte("\ufeff"))
		}
		if i := bytes.Index(line, alias); i >= 0 {
			return Pos{l, len([]rune(string(line[:i]))) + 1}, name, true
		}
	}
	return Pos{hi, 1}, name, true
}

// unknownAnchorMsg says what to do about an alias to an unknown anchor.
func unknownAnchorMsg(name string) string {
	return "YAML syntax: alias *" + name + " names no anchor above it; " +
		"define &" + name + " before the alias (an anchor serves only the aliases " +
		"below it, in the same file), or fix the alias's name"
}
