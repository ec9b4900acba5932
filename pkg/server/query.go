package server

import (
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
)

// queryKeyNames are query parameters that look like a key was put in the
// URL, where proxies and logs would keep it.
var queryKeyNames = []string{"key", "api_key", "apikey", "access_token", "token"}

// checkQuery reads the query as sent, before any endpoint reads it. A
// query that looks like it carries a key (a name of queryKeyNames in any
// case, or a name or value holding a word made as NewKey makes keys) is
// refused (401): the key is then in logs and must be replaced. So is a
// pair that url.Values leaves out without a word, one with a ';' or a
// '%' that starts no escape (400, naming it): the endpoint would run
// without it, a DELETE of a process without its started_at guard, a list
// of runs without its filter.
func checkQuery(r *http.Request) *apiError {
	if r.URL.RawQuery == "" {
		return nil // most requests: spare the split
	}
	var bad *apiError
	for pair := range strings.SplitSeq(r.URL.RawQuery, "&") {
		for i, part := range strings.Split(pair, ";") {
			key, value, _ := strings.Cut(part, "=")
			name, kerr := url.QueryUnescape(key)
			if kerr != nil {
				name = key
			}
			if looksLikeKey(key) {
				name = KeyPrefix + "…" // the key itself, not written back
			}
			if slices.Contains(queryKeyNames, strings.ToLower(name)) || looksLikeKey(value) || looksLikeKey(key) {
				return byField(name, errorf(http.StatusUnauthorized, ClassAuthentication,
					"a key was sent in the URL (?%s=); send it only as the header Authorization: Bearer KEY, and replace the key: URLs end up in logs", name))
			}
			if bad != nil {
				continue
			}
			if i > 0 {
				first, _, _ := strings.Cut(pair, "=")
				if n, err := url.QueryUnescape(first); err == nil {
					first = n
				}
				bad = badField(first, "query parameter %s: its value holds a ';', which this server does not take as a separator; separate parameters with '&', and write a ';' in a value as %%3B", first)
				continue
			}
			if _, verr := url.QueryUnescape(value); kerr != nil || verr != nil {
				bad = badField(name, "query parameter %s: a '%%' that starts no escape (%%XX, two hex digits); write a '%%' in a name or value as %%25", name)
			}
		}
	}
	return bad
}

// publicQuery checks the query of a route that needs no key: a key sent
// in it anyway is refused, so that whoever sent it learns to replace it,
// and other parameters are 400 as on every route.
func publicQuery(r *http.Request) *apiError {
	if e := checkQuery(r); e != nil {
		return e
	}
	return onlyParams(r.URL.Query())
}

// looksLikeKey says whether a query name or value, as sent or unescaped,
// holds a word made as NewKey makes keys (alone, or as in "Bearer KEY"):
// whatever its parameter's name, it is a key in a URL.
func looksLikeKey(value string) bool {
	if v, err := url.QueryUnescape(value); err == nil {
		value = v
	}
	return strings.Contains(value, KeyPrefix) && keyShapeRE.MatchString(value)
}

var keyShapeRE = regexp.MustCompile(`(^|[^A-Za-z0-9_])` + KeyPrefix + `[a-z2-7]{39}($|[^A-Za-z0-9_])`)
