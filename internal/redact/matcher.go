package redact

import "strings"

// matcher replaces every occurrence of a set of texts with Mask, leftmost
// first and, of those starting at one place, the longest. It is what
// strings.Replacer does, made for masking's work: most output holds no
// secret, and every step's output passes through it. Each place is
// tested against a bitmap of the texts' first two bytes (a secret's
// forms begin with about a hundred of the 65,536), where a
// strings.Replacer takes its slow path at every byte that begins one of
// them, and base64 forms begin with nearly every letter. Text without a
// secret is returned as it is, without a copy.
type matcher struct {
	one   [256]bool           // texts of one byte
	two   [1 << 10]uint64     // bitmap of the first two bytes of the others
	byTwo map[uint16][]string // the others by their first two bytes, longest first
}

// newMatcher returns a matcher for vs, sorted longest first.
func newMatcher(vs []string) *matcher {
	m := &matcher{byTwo: map[uint16][]string{}}
	for _, v := range vs {
		if len(v) == 1 {
			m.one[v[0]] = true
			continue
		}
		k := uint16(v[0])<<8 | uint16(v[1])
		m.two[k>>6] |= 1 << (k & 63)
		m.byTwo[k] = append(m.byTwo[k], v)
	}
	return m
}

// each calls fn with the start and length of each text of m in s, as
// replace would mask them.
func (m *matcher) each(s string, fn func(i, n int)) {
	for i := 0; i < len(s); i++ {
		if n := m.at(s, i); n > 0 {
			fn(i, n)
			i += n - 1
		}
	}
}

// at returns the length of the longest text of m at s[i], or 0.
func (m *matcher) at(s string, i int) int {
	if i+1 < len(s) {
		k := uint16(s[i])<<8 | uint16(s[i+1])
		if m.two[k>>6]&(1<<(k&63)) != 0 {
			for _, v := range m.byTwo[k] {
				if strings.HasPrefix(s[i:], v) {
					return len(v)
				}
			}
		}
	}
	if m.one[s[i]] {
		return 1
	}
	return 0
}

func (m *matcher) replace(s string) string {
	var b strings.Builder
	last := 0
	for i := 0; i < len(s); i++ {
		n := 0
		if i+1 < len(s) {
			k := uint16(s[i])<<8 | uint16(s[i+1])
			if m.two[k>>6]&(1<<(k&63)) != 0 {
				for _, v := range m.byTwo[k] {
					if strings.HasPrefix(s[i:], v) {
						n = len(v)
						break
					}
				}
			}
		}
		if n == 0 && m.one[s[i]] {
			n = 1
		}
		if n == 0 {
			continue
		}
		if b.Len() == 0 {
			b.Grow(len(s))
		}
		b.WriteString(s[last:i])
		b.WriteString(Mask)
		i += n - 1
		last = i + 1
	}
	if last == 0 {
		return s
	}
	b.WriteString(s[last:])
	return b.String()
}
