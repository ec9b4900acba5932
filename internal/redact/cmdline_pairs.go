package redact

import "strings"

// pairValues adds to masks the values of the NAME=VALUE pairs in the word
// s[a:b] whose names name a credential (credentialName), and returns them
// with where the reading of s goes on (b, or past a quoted value's end).
// A pair is at the word's start (--password=V, PGPASSWORD=V), after a
// flag's = (docker's --env=DB_PASSWORD=V, kubectl's
// --from-literal=password=V), after a quote (-e 'PGPASSWORD=V' on a sh -c
// line: masked to the closing quote), or after a pair before it: a form
// body's & (-d x=1&token=V&y=2) or helm's , (--set a=1,auth.password=V),
// the value then ending at the next such separator (helm's \, is not one).
// httpie's name:=V (a JSON field) and name==V (a query parameter) are
// pairs too. A pair at the word's start or after = is masked to the
// word's end, as its program reads it.
func pairValues(s string, a, b int, masks [][2]int) ([][2]int, int) {
	w := s[a:b]
	for p := 0; p < len(w); {
		eq := strings.IndexByte(w[p:], '=')
		if eq < 0 {
			break
		}
		eq += p
		p = eq + 1
		kend := eq
		if kend > 0 && w[kend-1] == ':' {
			kend-- // httpie's name:=value
		}
		k := kend
		for k > 0 && nameByte(w[k-1]) {
			k--
		}
		at := k // where the pair begins: its name, or the quote before it
		var quote, sep byte
		if at > 0 && (w[at-1] == '\'' || w[at-1] == '"') {
			at--
			quote = w[at]
		}
		if at > 0 {
			sep = w[at-1]
		}
		if k == kend || at > 0 && !pairSep(sep) || !credentialName(strings.TrimLeft(w[k:kend], "-")) {
			continue
		}
		from := a + eq + 1
		if from < b && s[from] == '=' {
			from++ // httpie's name==value
		}
		var m [2]int
		var ok bool
		switch {
		case quote != 0:
			end := strings.IndexByte(s[from:], quote)
			if end < 0 {
				end = len(s) - from
			}
			m, ok = credentialSpan(s, from, from+end, false)
		case sep == '&' || sep == ',' || sep == '?':
			m, ok = credentialSpan(s, from, from+pairEnd(s[from:b], sep), false)
		default:
			m, ok = valueSpan(s, from, false)
		}
		if !ok {
			continue
		}
		masks = append(masks, m)
		if m[1] >= b || sep != '&' && sep != ',' && sep != '?' {
			return masks, max(b, m[1])
		}
		p = m[1] - a
	}
	return masks, b
}

// pairSep tells a byte that may come just before a pair's name.
func pairSep(c byte) bool { return c == '=' || c == '&' || c == ',' || c == '?' }

// pairEnd is where a value that follows sep ends in v: at the next &
// (after & or ?) or unescaped , (after ,), else at v's end.
func pairEnd(v string, sep byte) int {
	if sep == '?' {
		sep = '&'
	}
	for i := 0; i < len(v); i++ {
		if v[i] == sep && !(sep == ',' && i > 0 && v[i-1] == '\\') {
			return i
		}
	}
	return len(v)
}

// nameByte tells a byte of a variable's, a flag's or a parameter's name.
func nameByte(c byte) bool {
	return c == '_' || c == '-' || c == '.' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9'
}

// jsonValues returns s with the value of each JSON member whose name
// names a credential masked: {"password":"V"} as curl -d, --data-raw,
// --json or ansible -e take it, and {\"token\":\"V\"} inside a double-quoted
// sh -c word. A string is masked between its quotes, a number or a word
// (true, null) to the , } or ] after it; an object or an array is not a
// value to mask (its own members are read). s is returned as it is when
// nothing is masked.
func jsonValues(s string) string {
	if !strings.Contains(s, `":`) {
		return s
	}
	var masks [][2]int
	for p := 0; ; {
		i := strings.Index(s[p:], `":`)
		if i < 0 {
			break
		}
		i += p
		p = i + 2
		kend := i
		escaped := kend > 0 && s[kend-1] == '\\'
		if escaped {
			kend--
		}
		k := kend
		for k > 0 && nameByte(s[k-1]) {
			k--
		}
		if k == 0 || k == kend || s[k-1] != '"' || !credentialName(s[k:kend]) {
			continue
		}
		if m, ok := jsonValue(s, p, escaped); ok {
			masks = append(masks, m)
			p = max(p, m[1])
		}
	}
	return maskSpans(s, masks)
}

// jsonValue is the span of the JSON value that begins at v (after
// blanks only when it is a string), to mask.
func jsonValue(s string, v int, escaped bool) ([2]int, bool) {
	from := v
	for from < len(s) && isBlank(s[from]) {
		from++
	}
	switch {
	case escaped && strings.HasPrefix(s[from:], `\"`):
		from += 2
		end := strings.Index(s[from:], `\"`)
		if end < 0 {
			end = len(s) - from
		}
		return credentialSpan(s, from, from+end, false)
	case from < len(s) && s[from] == '"':
		from++
		end := from
		for end < len(s) && s[end] != '"' {
			if s[end] == '\\' {
				end++
			}
			end++
		}
		return credentialSpan(s, from, min(end, len(s)), false)
	case from != v || from == len(s) || s[from] == '{' || s[from] == '[':
		return [2]int{}, false
	}
	end := from
	for end < len(s) && !isBlank(s[end]) && !strings.ContainsRune(",}]\\", rune(s[end])) {
		end++
	}
	return credentialSpan(s, from, end, false)
}

// maskSpans returns s with each span of masks, in order, replaced by
// Mask; s itself when there are none.
func maskSpans(s string, masks [][2]int) string {
	if len(masks) == 0 {
		return s
	}
	var out strings.Builder
	out.Grow(len(s))
	last := 0
	for _, m := range masks {
		out.WriteString(s[last:m[0]])
		out.WriteString(Mask)
		last = m[1]
	}
	out.WriteString(s[last:])
	return out.String()
}
