// Package redact hides secrets in text the ops return: the values a run
// marks secret, and the credentials that URLs carry.
package redact

import (
	"net/url"
	"sort"
	"strings"
)

// Mask is what a hidden value is replaced with.
const Mask = "***"

// Masker returns a function that replaces every non-empty secret in a string
// with Mask, longest secrets first so that one secret containing another is
// hidden whole. With no secrets it returns nil, so callers can skip the work.
func Masker(secrets []string) func(string) string {
	var s []string
	for _, v := range secrets {
		if v != "" {
			s = append(s, v)
		}
	}
	if len(s) == 0 {
		return nil
	}
	sort.Slice(s, func(i, j int) bool { return len(s[i]) > len(s[j]) })
	pairs := make([]string, 0, 2*len(s))
	for _, v := range s {
		pairs = append(pairs, v, Mask)
	}
	return strings.NewReplacer(pairs...).Replace
}

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
// is returned with any user info before an @ masked.
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
