package server

import (
	"strings"
	"testing"
)

// A JSON syntax error says where it is as an editor shows it (line and
// column) and what to fix, not only a byte offset.
func TestJSONSyntaxErrorPositionAndFix(t *testing.T) {
	ts := newTestServer(t)
	for _, c := range []struct {
		body, field string
		want        []string
	}{
		{`{"inputs": {`, "inputs", []string{"line 1, column 13", "close each open string"}},
		{"{\n  \"inputs\": {\"a\": 1,}\n}", "inputs", []string{"line 2, column 20", "trailing comma"}},
		{`{"inputs": {'a': 1}}`, "inputs", []string{"line 1, column 13", "double quotes"}},
		{"{\"inputs\": {\"é\" 1}}", "inputs.é", []string{"line 1, column 17", "':' between the key and its value"}},
		{`{"inputs": {"a": 1}}}`, "", []string{"line 1, column 21", "remove what follows"}},
	} {
		r := ts.do(request{method: "POST", path: "/api/v1/playbooks/hello/runs", key: "operator", body: c.body})
		e := r.wantError(t, 400, ClassValidation)
		msg, _ := e["message"].(string)
		for _, w := range c.want {
			if !strings.Contains(msg, w) {
				t.Errorf("%q: %q; want it to say %q", c.body, msg, w)
			}
		}
		if f, _ := e["field"].(string); f != c.field {
			t.Errorf("%q: field %q, want %q", c.body, f, c.field)
		}
	}
}
