package httpreq

import (
	"fmt"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/arsenal-run/arsenal-run/pkg/ops"
)

var _ ops.RiskExplainer = (*Request)(nil)

// RiskFor is the risk of the method the request is sent with: read for
// GET, HEAD and OPTIONS, and write for any other method or a method still
// to be computed. Without method, a body makes the request a POST, so a
// write. A method override (see override), which many servers obey,
// counts as the method: a GET that says DELETE is a write, and so is one
// whose override, or whole headers or query map, is still to be computed.
// A url computed when the step runs is judged when it is known, as every
// call is authorized again with its final params.
func (*Request) RiskFor(p ops.Params) ops.Risk {
	if _, given := p["method"]; given && !p.Known("method") {
		return ops.RiskWrite
	}
	if !readMethod(methodOf(p)) {
		return ops.RiskWrite
	}
	if _, ok := override(p); ok {
		return ops.RiskWrite
	}
	return ops.RiskRead
}

// AssessesDeferred: RiskFor answers for a method still to be computed.
func (*Request) AssessesDeferred() bool { return true }

// RiskReason says why a request that is not plainly a write (a GET, HEAD
// or OPTIONS, or one without method) is one: a method override names
// another method, or a body makes it a POST; "" otherwise. A role refused
// such a step is told what to change.
func (*Request) RiskReason(p ops.Params) string {
	if _, given := p["method"]; given {
		if !p.Known("method") || !readMethod(methodOf(p)) {
			return ""
		}
	} else if methodOf(p) == http.MethodPost {
		return "it has a body, which makes it a POST without method: set method: GET to send the body with a GET (as Elasticsearch's _search takes one)"
	}
	o, ok := override(p)
	if !ok {
		return ""
	}
	m := methodOf(p)
	switch {
	case o.whole != "":
		return fmt.Sprintf("its whole %s map is computed when the step runs and may hold a method override (%s), which many servers take as the method: write the map's keys out (%s: {Name: ${{ expr }}}), so that only their values are computed", o.whole, o.where, o.whole)
	case o.method == "":
		return fmt.Sprintf("its %s is computed when the step runs and may name another method, which many servers take as the method: write it literally, or leave it out to send a plain %s", o.where, m)
	}
	return fmt.Sprintf("its %s asks the server for %s, which many servers take as the method: leave it out to send a plain %s", o.where, o.method, m)
}

// overrideHeaders are the headers by which a client asks a server to take
// a request for another method (Google APIs, ASP.NET, Express's
// method-override, Symfony and others honour one of them).
var overrideHeaders = map[string]bool{
	"X-Http-Method-Override": true,
	"X-Http-Method":          true,
	"X-Method-Override":      true,
}

// overrideParam is the query parameter by which a client asks a server
// for another method (Rails, Laravel, Express's method-override).
const overrideParam = "_method"

// overrideFound is a method override: where it is, as a reader would name
// it, and the method it asks for ("" when it is still to be computed); or
// the param whose whole map is computed, which may hold one (whole).
type overrideFound struct {
	where, method, whole string
}

// override finds in p a request for another method than a read one: a
// method-override header (matched as servers do, by any case and with _
// for -, since CGI-style servers read both alike), a _method parameter in
// the url's query or in the query param, or a headers or query map still
// to be computed. An override that asks for a read method is no override.
func override(p ops.Params) (overrideFound, bool) {
	if _, given := p["headers"]; given && !p.Known("headers") {
		return overrideFound{where: "X-HTTP-Method-Override or a kin", whole: "headers"}, true
	}
	hs := p.Map("headers")
	for _, k := range slices.Sorted(maps.Keys(hs)) {
		if !overrideHeaders[http.CanonicalHeaderKey(strings.ReplaceAll(k, "_", "-"))] {
			continue
		}
		if o, ok := overrideValue("header "+k, hs[k]); ok {
			return o, true
		}
	}
	if p.Known("url") {
		for _, v := range rawQueryValues(p.String("url"), overrideParam) {
			if o, ok := overrideValue("url's query parameter "+overrideParam, v); ok {
				return o, true
			}
		}
	}
	if _, given := p["query"]; given && !p.Known("query") {
		return overrideFound{where: overrideParam, whole: "query"}, true
	}
	q := p.Map("query")
	for _, k := range slices.Sorted(maps.Keys(q)) {
		if !strings.EqualFold(strings.TrimSpace(k), overrideParam) {
			continue
		}
		items, ok := q[k].([]any)
		if !ok {
			items = []any{q[k]}
		}
		for _, v := range items {
			if o, ok := overrideValue("query parameter "+k, v); ok {
				return o, true
			}
		}
	}
	return overrideFound{}, false
}

// overrideValue is the override that v, the value of the header or query
// parameter named by where, makes: none when it is empty or a read method.
func overrideValue(where string, v any) (overrideFound, bool) {
	if v == ops.Deferred {
		return overrideFound{where: where}, true
	}
	if v == nil {
		return overrideFound{}, false
	}
	m := strings.ToUpper(strings.TrimSpace(fmt.Sprint(v)))
	if m == "" || readMethod(m) {
		return overrideFound{}, false
	}
	return overrideFound{where: where, method: m}, true
}

// rawQueryValues are the values of the parameter name (any case) in the
// query of the URL raw. Pairs are split at & and at ;, which some servers
// still take as a separator, and a value that does not unescape is kept
// as written: a server must not find an override this check did not.
func rawQueryValues(raw, name string) []any {
	u, err := url.Parse(raw)
	if err != nil {
		return nil
	}
	var out []any
	for _, pair := range strings.FieldsFunc(u.RawQuery, func(r rune) bool { return r == '&' || r == ';' }) {
		k, v, _ := strings.Cut(pair, "=")
		if uk, err := url.QueryUnescape(k); err == nil {
			k = uk
		}
		if !strings.EqualFold(strings.TrimSpace(k), name) {
			continue
		}
		if uv, err := url.QueryUnescape(v); err == nil {
			v = uv
		}
		out = append(out, v)
	}
	return out
}

func readMethod(m string) bool {
	return m == http.MethodGet || m == http.MethodHead || m == http.MethodOptions
}

// methodOf is the method the request is sent with: the method param, else
// POST when there is a body (as curl -d and httpie do), else GET. A body
// still to be computed counts as a body. An explicit GET with a body stays
// a GET, for APIs such as Elasticsearch's _search that take one.
func methodOf(p ops.Params) string {
	if p.Known("method") {
		return strings.ToUpper(p.String("method"))
	}
	_, hasBody := p["body"]
	_, hasJSON := p["json"]
	if hasBody || hasJSON {
		return http.MethodPost
	}
	return http.MethodGet
}
