package httpreq

import (
	"fmt"
	"net/url"
	"sort"
	"strings"

	"github.com/arsenal-run/arsenal-run/pkg/ops"
)

// queryValues are the values of the query param, each escaped as one
// query value: a string, number or bool, or a list of them for a repeated
// parameter; null leaves the parameter out. A value still to be computed
// (validate's ops.Deferred) is checked when the step runs. Names are sorted, so that the
// URL does not change from run to run. Errors name the parameter, never
// its value, which may be a secret.
func queryValues(q map[string]any) (url.Values, error) {
	out := url.Values{}
	for k, v := range q {
		if k == "" {
			return nil, fmt.Errorf("a parameter has an empty name")
		}
		items, ok := v.([]any)
		if !ok {
			items = []any{v}
		}
		for _, it := range items {
			if it == ops.Deferred {
				continue
			}
			switch x := it.(type) {
			case nil:
			case string:
				out.Add(k, x)
			case int, int64, float64, bool:
				out.Add(k, fmt.Sprint(x))
			default:
				return nil, fmt.Errorf("%s: want a string, a number, a bool or a list of them, got %s", k, ops.TypeName(it))
			}
		}
	}
	return out, nil
}

// withQuery is u with the values added after the query it already has,
// which is kept as written.
func withQuery(u *url.URL, q url.Values) {
	keys := make([]string, 0, len(q))
	for k := range q {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	b.WriteString(u.RawQuery)
	for _, k := range keys {
		for _, v := range q[k] {
			if b.Len() > 0 {
				b.WriteByte('&')
			}
			b.WriteString(url.QueryEscape(k) + "=" + url.QueryEscape(v))
		}
	}
	u.RawQuery = b.String()
	u.ForceQuery = false
}
