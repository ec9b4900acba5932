// Package redact masks secret values in text the run writes: logs, reports,
// errors and process output. Matching is literal (never a pattern built from
// the secret) and covers the encodings a program is likely to print a secret
// in: base64, hex, URL encoding and JSON string escaping. It also masks the
// credentials that URLs carry (url.go), the one way reports, spans and the
// audit log show a URL.
package redact

import (
	"bytes"
	"cmp"
	"encoding/json"
	"fmt"
	"html"
	"slices"
	"strconv"
	"strings"
	"sync"
	"unicode/utf16"

	"github.com/arsenal-run/arsenal-run/internal/jsonx"
)

// Mask is what a secret is replaced with.
const Mask = "***"

// Redactor masks a growing set of secrets. It is safe for concurrent use.
type Redactor struct {
	mu      sync.RWMutex
	secrets map[string]bool
	matcher *matcher
	longest int
}

// New returns a Redactor masking the given secrets; empty ones are ignored.
func New(secrets ...string) *Redactor {
	// secrets is made by the first Add that has one: most runs have
	// none, and a nil map reads as empty.
	r := &Redactor{}
	r.Add(secrets...)
	return r
}

// Add masks more secrets from now on.
func (r *Redactor) Add(secrets ...string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	changed := false
	for _, s := range secrets {
		for _, v := range variants(s) {
			if v != "" && !r.secrets[v] {
				if r.secrets == nil {
					r.secrets = map[string]bool{}
				}
				r.secrets[v] = true
				changed = true
			}
		}
	}
	if !changed {
		return
	}
	// Longer variants first, so a secret that contains another is masked
	// whole.
	vs := make([]string, 0, len(r.secrets))
	for v := range r.secrets {
		vs = append(vs, v)
	}
	sortByLenDesc(vs)
	r.longest = len(vs[0])
	r.matcher = newMatcher(vs)
}

// AddValue masks a secret value from now on: each of its scalar leaves
// (strings, numbers, bools), since a list's elements and a map's values are
// used one by one. It returns the texts it masks.
func (r *Redactor) AddValue(v any) []string { return r.addLeaves(v, true) }

// AddValueButBools is AddValue leaving the booleans of v unmasked, for a
// value whose booleans are settings rather than secrets: masking one
// would mask every "true" or "false" written.
func (r *Redactor) AddValueButBools(v any) []string { return r.addLeaves(v, false) }

func (r *Redactor) addLeaves(v any, bools bool) []string {
	var leaves []string
	var walk func(v any)
	walk = func(v any) {
		switch x := v.(type) {
		case []any:
			for _, it := range x {
				walk(it)
			}
		case map[string]any:
			for _, it := range x {
				walk(it)
			}
		case bool:
			if bools {
				leaves = append(leaves, scalarForms(v)...)
			}
		default:
			leaves = append(leaves, scalarForms(v)...)
		}
	}
	walk(v)
	r.Add(leaves...)
	return leaves
}

// scalarForms are the texts a scalar is written as: in a template and, for
// a number whose JSON differs (1e+21), in JSON. Nil for anything else.
func scalarForms(v any) []string {
	switch x := v.(type) {
	case string:
		if x == "" {
			return nil
		}
		return []string{x}
	case bool, int, int8, int16, int32, int64, uint, uint8, uint16, uint32, uint64, float32, float64, json.Number:
		t := jsonx.Text(x)
		if j, err := json.Marshal(x); err == nil && string(j) != t {
			return []string{t, string(j)}
		}
		return []string{t}
	}
	return nil
}

// variants are the forms of a secret that are masked.
func variants(s string) []string {
	if s == "" {
		return nil
	}
	out := []string{s}
	// A secret read from a file or a block scalar often ends with a line
	// break that whatever prints it drops ($(cat f), a log line).
	if t := strings.TrimSpace(s); t != s && t != "" {
		out = append(out, variants(t)...)
	}
	if len(s) >= 3 {
		out = append(out, base64Forms(s)...)
		out = append(out, hexForms(s)...)
		out = append(out, urlForms(s)...)
		out = append(out, shellForms(s)...)
		if j, err := json.Marshal(s); err == nil {
			out = append(out, string(j[1:len(j)-1]))
		}
		var b bytes.Buffer
		enc := json.NewEncoder(&b)
		enc.SetEscapeHTML(false)
		if enc.Encode(s) == nil {
			j := bytes.TrimSpace(b.Bytes())
			out = append(out, string(j[1:len(j)-1]))
		}
		// Go's %q, which error messages quote values with, escapes
		// control and non-ASCII characters unlike JSON.
		q := strconv.Quote(s)
		out = append(out, q[1:len(q)-1])
		// HTML as Go and Python escape it, and JSON with every
		// non-ASCII character escaped, as Python's json.dumps writes.
		out = append(out, html.EscapeString(s), pyHTML.Replace(s), asciiJSON(s))
	}
	return append(out, Tokens(s)...)
}

// pyHTML escapes as Python's html.escape does.
var pyHTML = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&quot;", "'", "&#x27;")

// asciiJSON is s in a JSON string with its non-ASCII characters escaped
// (\u00e4, surrogate pairs beyond the first plane), without the quotes.
func asciiJSON(s string) string {
	j, err := json.Marshal(s)
	if err != nil {
		return ""
	}
	var b strings.Builder
	for _, r := range string(j[1 : len(j)-1]) {
		switch {
		case r < 0x80:
			b.WriteRune(r)
		case r > 0xffff:
			r1, r2 := utf16.EncodeRune(r)
			fmt.Fprintf(&b, "\\u%04x\\u%04x", r1, r2)
		default:
			fmt.Fprintf(&b, "\\u%04x", r)
		}
	}
	return b.String()
}

func sortByLenDesc(vs []string) {
	slices.SortFunc(vs, func(a, b string) int {
		if c := cmp.Compare(len(b), len(a)); c != 0 {
			return c
		}
		return strings.Compare(a, b)
	})
}

// Longest is the length of the longest text masked, so that a reader of a
// stream cut into pieces knows how much to keep to mask a secret whole.
func (r *Redactor) Longest() int {
	if r == nil {
		return 0
	}
	r.mu.RLock()
	defer r.mu.RUnlock()
	return r.longest
}

// Empty reports whether there is nothing to mask.
func (r *Redactor) Empty() bool {
	if r == nil {
		return true
	}
	r.mu.RLock()
	defer r.mu.RUnlock()
	return r.matcher == nil
}

// String masks every secret in s.
func (r *Redactor) String(s string) string {
	if r == nil {
		return s
	}
	r.mu.RLock()
	m := r.matcher
	if m != nil && mayHoldDump(s) {
		s = r.maskDumps(s)
	}
	if m != nil {
		s = r.maskWrapped(s)
	}
	r.mu.RUnlock()
	if m == nil {
		return s
	}
	return m.replace(s)
}

// Value returns a copy of plain data (maps, lists, strings, numbers) with
// every string masked. Keys are masked too. A number or bool that is a
// secret becomes the string Mask: left as it is, the JSON it is written in
// would show it.
func (r *Redactor) Value(v any) any {
	if r.Empty() {
		return v
	}
	switch x := v.(type) {
	case string:
		return r.String(x)
	case []any:
		out := make([]any, len(x))
		for i, it := range x {
			out[i] = r.Value(it)
		}
		return out
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, it := range x {
			out[r.String(k)] = r.Value(it)
		}
		return out
	}
	if r.isSecret(v) {
		return Mask
	}
	return v
}

// isSecret reports whether a scalar is written as a secret.
func (r *Redactor) isSecret(v any) bool {
	forms := scalarForms(v)
	r.mu.RLock()
	defer r.mu.RUnlock()
	for _, f := range forms {
		if r.secrets[f] {
			return true
		}
	}
	return false
}

// jsonStrings masks the secrets in each JSON string literal of s, decoded,
// and writes back the literals it changed. Text that is not JSON passes
// unchanged.
func (r *Redactor) jsonStrings(s string) string {
	if r.Empty() {
		return s
	}
	var b strings.Builder
	last := 0
	for i := 0; i < len(s); i++ {
		if s[i] != '"' {
			continue
		}
		end := literalEnd(s, i)
		if end < 0 {
			break
		}
		// A literal without escapes is its own text: masking the line
		// covers it.
		var v string
		if lit := s[i:end]; strings.ContainsRune(lit, '\\') && json.Unmarshal([]byte(lit), &v) == nil {
			if m := r.String(v); m != v {
				b.WriteString(s[last:i])
				b.WriteString(quoteJSON(m))
				last = end
			}
		}
		i = end - 1
	}
	if b.Len() == 0 {
		return s
	}
	b.WriteString(s[last:])
	return b.String()
}

// literalEnd returns the end of the JSON string literal that starts at
// s[i], or -1 when it does not end.
func literalEnd(s string, i int) int {
	for j := i + 1; j < len(s); j++ {
		switch s[j] {
		case '\\':
			j++
		case '"':
			return j + 1
		}
	}
	return -1
}

// quoteJSON encodes s as a JSON string the way JSON loggers do, without
// escaping HTML.
func quoteJSON(s string) string {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.Encode(s) // a string always encodes
	return strings.TrimSuffix(b.String(), "\n")
}

// Pieces returns how many bytes at the end of head begin a masked text and
// how many at the start of tail end one: what a cut between head and tail
// (the bytes between them dropped) would leave of a secret that crossed it,
// a head and a tail that masking no longer finds, and that side by side
// give the secret back. A writer that keeps only both ends of a stream
// leaves these out.
func (r *Redactor) Pieces(head, tail []byte) (h, t int) {
	if r == nil {
		return 0, 0
	}
	r.mu.RLock()
	defer r.mu.RUnlock()
	for v := range r.secrets {
		// The earliest start in head's last len(v)-1 bytes from which the
		// rest of head is v's beginning.
		for i := max(len(head)-len(v)+1, 0); i < len(head) && len(head)-i > h; i++ {
			if head[i] == v[0] && strings.HasPrefix(v, string(head[i:])) {
				h = len(head) - i
				break
			}
		}
		// The latest end in tail's first len(v)-1 bytes up to which tail
		// is v's end.
		for j := min(len(v)-1, len(tail)); j > t; j-- {
			if tail[j-1] == v[len(v)-1] && strings.HasSuffix(v, string(tail[:j])) {
				t = j
				break
			}
		}
	}
	return h, t
}
