package redact

import (
	"strings"
	"unicode"
)

// MaskCommand reads a line of a program's output as GitHub Actions' runner
// reads the add-mask workflow command: "::add-mask::VALUE" after the
// line's leading blanks, or "##[add-mask]VALUE" anywhere in it, the name
// in any case, the value unescaped (%0D, %0A, %25). It returns the value,
// or "" and false for any other line and for a value of only blanks,
// which the runner refuses too.
func MaskCommand(line string) (string, bool) {
	line = strings.TrimSuffix(line, "\r")
	var info, data string
	if v2 := strings.TrimLeftFunc(line, unicode.IsSpace); strings.HasPrefix(v2, "::") {
		end := strings.Index(v2[2:], "::")
		if end < 0 {
			return "", false
		}
		info, data = v2[2:2+end], v2[2+end+2:]
	} else if at := strings.Index(line, "##["); at >= 0 {
		end := strings.IndexByte(line[at:], ']')
		if end < 0 {
			return "", false
		}
		info, data = line[at+3:at+end], line[at+end+1:]
	} else {
		return "", false
	}
	name, _, _ := strings.Cut(info, " ")
	if !strings.EqualFold(name, "add-mask") || strings.TrimSpace(data) == "" {
		return "", false
	}
	return unescapeData.Replace(data), true
}

// unescapeData undoes the escapes of a workflow command's data, as the
// runner does: %0D, %0A, then %25, each in turn.
var unescapeData = sequence{strings.NewReplacer("%0D", "\r"), strings.NewReplacer("%0A", "\n"), strings.NewReplacer("%25", "%")}

type sequence []*strings.Replacer

func (q sequence) Replace(s string) string {
	for _, r := range q {
		s = r.Replace(s)
	}
	return s
}

// MaskCommands returns the values of the add-mask commands among the
// lines of s (see MaskCommand).
func MaskCommands(s string) []string {
	if !strings.Contains(s, "::") && !strings.Contains(s, "##[") {
		return nil
	}
	var out []string
	for line := range strings.Lines(s) {
		if v, ok := MaskCommand(strings.TrimSuffix(line, "\n")); ok {
			out = append(out, v)
		}
	}
	return out
}

// Masks reports whether s is masked already, as a secret of its own or a
// form of one.
func (r *Redactor) Masks(s string) bool {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return r.secrets[s]
}
