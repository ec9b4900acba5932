package redact

import (
	"net/url"
	"strings"
)

// sensitive lists query parameter names (and parts of names) whose values
// are credentials.
var sensitive = []string{"token", "key", "secret", "password", "passwd", "pwd", "auth", "sig", "signature", "credential", "session", "code"}

// SensitiveParam reports whether a query parameter name looks like it holds a
// credential, such as token, api_key, X-Amz-Signature or access_token.
func SensitiveParam(name string) bool {
	n := strings.ToLower(name)
	for _, s := range sensitive {
		if strings.Contains(n, s) {
			return true
		}
	}
	return false
}

// URL returns u as a string with the password of its user info and the
// values of credential-looking query parameters replaced by Mask:
// https://user:***@host/path?token=***&page=2.
func URL(u *url.URL) string {
	if u == nil {
		return ""
	}
	c := *u
	if c.User != nil {
		if _, ok := c.User.Password(); ok {
			c.User = url.UserPassword(c.User.Username(), Mask)
		}
	}
	if c.RawQuery != "" {
		c.RawQuery = query(c.RawQuery)
	}
	s := c.String()
	// url.URL escapes the * of the mask in user info; put it back.
	return strings.Replace(s, ":%2A%2A%2A@", ":"+Mask+"@", 1)
}

// URLString masks a URL given as a string; text that does not parse as a URL
// is returned with any user info before an @ masked. For a command line,
// which may hold many URLs among other words, URLPasswords masks the
// passwords alone and leaves the rest as it was written.
func URLString(s string) string {
	u, err := url.Parse(s)
	if err != nil {
		if at := strings.LastIndex(s, "@"); at > 0 {
			if i := strings.Index(s, "://"); i >= 0 && i < at {
				return s[:i+3] + Mask + s[at:]
			}
		}
		return s
	}
	return URL(u)
}

// query masks sensitive values in a raw query, keeping its order and the
// encoding of everything else.
func query(raw string) string {
	parts := strings.Split(raw, "&")
	for i, p := range parts {
		k, _, hasV := strings.Cut(p, "=")
		name, err := url.QueryUnescape(k)
		if err != nil {
			name = k
		}
		if hasV && SensitiveParam(name) {
			parts[i] = k + "=" + Mask
		}
	}
	return strings.Join(parts, "&")
}

// InText masks every URL with credentials found in s, such as one quoted in
// an error message from a library.
func InText(s string, urls ...*url.URL) string {
	for _, u := range urls {
		if u == nil {
			continue
		}
		raw := u.String()
		if m := URL(u); m != raw {
			s = strings.ReplaceAll(s, raw, m)
		}
		if u.User != nil {
			if p, ok := u.User.Password(); ok && p != "" {
				s = strings.ReplaceAll(s, p, Mask)
			}
		}
	}
	return s
}

// MaskURL is URL(u) with a run's secrets masked by mask as well, in the
// URL as it is sent and, when that finds nothing, in its unescaped form: a
// secret written into a URL is escaped (a space becomes %20), and one
// holding a '#' or '?' is split between path, query and fragment, so that
// no encoding of the whole secret shows in the URL as sent. The secrets
// are masked first, then the credentials URL masks: a secret holding an
// '&' would otherwise be cut at it by the masking of a token=… value, and
// its tail, no longer the whole secret, shown. A nil mask masks
// credentials only.
func MaskURL(u *url.URL, mask func(string) string) string {
	if mask == nil {
		return URL(u)
	}
	raw := u.String()
	s := mask(raw)
	if s == raw {
		if d, err := url.PathUnescape(raw); err == nil && d != raw {
			if m := mask(d); m != d {
				s = m
			}
		}
	}
	return URLString(s)
}

// URLsIn returns plain data (maps, lists, strings) with each string that
// is an absolute http or https URL carrying user info or a query masked as
// URL masks it, for sinks that show params, such as spans and the audit
// log. Maps and lists are copied; other values are returned as they are.
func URLsIn(v any) any {
	switch x := v.(type) {
	case string:
		return urlText(x)
	case []any:
		out := make([]any, len(x))
		for i, it := range x {
			out[i] = URLsIn(it)
		}
		return out
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, it := range x {
			out[k] = URLsIn(it)
		}
		return out
	}
	return v
}

// urlText masks s if it is an absolute http(s) URL with user info or a
// query, and returns it unchanged (not re-encoded) when nothing is masked.
func urlText(s string) string {
	if !strings.Contains(s, "://") {
		return s
	}
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || (u.User == nil && u.RawQuery == "") {
		return s
	}
	if m := URL(u); m != u.String() {
		return m
	}
	return s
}

// credentialHeaders are the request headers whose values are credentials
// whatever they hold, lower case.
var credentialHeaders = map[string]bool{
	"authorization": true, "proxy-authorization": true, "cookie": true,
	"x-api-key": true, "x-auth-token": true, "private-token": true, "x-vault-token": true,
}

// Headers returns request headers, name to value, with the values of the
// headers that carry credentials (Authorization, Cookie, X-Api-Key, ...)
// masked, for sinks that show params: such a value is a credential even
// when it was written in the playbook rather than given as a secret.
// Other values are kept; h is not changed.
func Headers(h map[string]any) map[string]any {
	out := make(map[string]any, len(h))
	for k, v := range h {
		if credentialHeaders[strings.ToLower(k)] {
			v = Mask
		}
		out[k] = v
	}
	return out
}

// plainHeaders are the request headers that say how to talk rather than
// who is asking, lower case: their values are kept by AllHeaders.
var plainHeaders = map[string]bool{
	"accept": true, "accept-encoding": true, "accept-language": true,
	"cache-control": true, "content-type": true, "user-agent": true,
}

// AllHeaders is Headers for headers whose sender had no way to mark a
// value secret (an operation executed through the API): the value of
// every header but Accept, Accept-Encoding, Accept-Language,
// Cache-Control, Content-Type and User-Agent is masked, since any other
// (X-Service-Token, X-Signature) may be a credential. h is not changed.
func AllHeaders(h map[string]any) map[string]any {
	out := make(map[string]any, len(h))
	for k, v := range h {
		if !plainHeaders[strings.ToLower(k)] {
			v = Mask
		}
		out[k] = v
	}
	return out
}

// Values returns m with every value masked and its keys kept, for a map
// whose values may be secrets and whose keys say what they are (an
// environment given through the API). m is not changed.
func Values(m map[string]any) map[string]any {
	out := make(map[string]any, len(m))
	for k := range m {
		out[k] = Mask
	}
	return out
}

// urlForms are the texts s is written as in a URL. Each part of a URL
// escapes a different set of characters, and a URL printed whole (an HTTP
// client's error, a request line in a log) keeps the / of its path that
// url.PathEscape escapes, so a secret in a path, a query, user info or a
// fragment shows in one of these forms, not in the form another part uses:
// Go's own escapings as url.URL.String and url.Values.Encode write them,
// and the strict RFC 3986 escaping other tools write (Python's quote and
// quote_plus, curl's --data-urlencode, JavaScript's encodeURIComponent).
//
// Each form is masked with its escapes' hex digits in lower case too
// (%2f), as JavaScript's escape of a Buffer, PHP's and many shell
// urlencode functions write them.
func urlForms(s string) []string {
	q := url.QueryEscape(s)
	out := []string{
		url.PathEscape(s),
		(&url.URL{Path: s}).EscapedPath(),
		q,
		strings.ReplaceAll(q, "+", "%20"), // a + that QueryEscape writes is a space
		strings.TrimPrefix(url.UserPassword("", s).String(), ":"),
		url.User(s).String(),
		(&url.URL{Fragment: s}).EscapedFragment(),
		percentEncode(s, ""),
		percentEncode(s, "/"),
		strings.ReplaceAll(percentEncode(s, ""), "%20", "+"),
		percentEncode(s, "!*'()"),
	}
	for i := range len(out) {
		if l := lowerEscapes(out[i]); l != out[i] {
			out = append(out, l)
		}
	}
	return out
}

// lowerEscapes returns s with the hex digits of each %XX escape in lower
// case, and the rest as it is.
func lowerEscapes(s string) string {
	if !strings.Contains(s, "%") {
		return s
	}
	b := []byte(s)
	for i := 0; i+2 < len(b); i++ {
		if b[i] == '%' && isHex(b[i+1]) && isHex(b[i+2]) {
			b[i+1], b[i+2] = lowerHex(b[i+1]), lowerHex(b[i+2])
			i += 2
		}
	}
	return string(b)
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'A' <= c && c <= 'F' || 'a' <= c && c <= 'f'
}

func lowerHex(c byte) byte {
	if 'A' <= c && c <= 'F' {
		return c + 'a' - 'A'
	}
	return c
}

// percentEncode escapes every byte of s as %XX but RFC 3986's unreserved
// characters (letters, digits, - . _ ~) and those in keep.
func percentEncode(s, keep string) string {
	const hex = "0123456789ABCDEF"
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' ||
			strings.IndexByte("-._~", c) >= 0 || strings.IndexByte(keep, c) >= 0 {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(hex[c>>4])
		b.WriteByte(hex[c&15])
	}
	return b.String()
}
