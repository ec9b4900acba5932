package steps

import (
	"fmt"
	"strings"
	"testing"

	"github.com/arsenal-run/arsenal-run/pkg/ops/cluster"
	"github.com/arsenal-run/arsenal-run/pkg/ops/httpreq"
	"github.com/arsenal-run/arsenal-run/pkg/ops/notify"
)

// urlWarnings loads a playbook with one step of op whose with: is with,
// and gives its warnings as line:col: message.
func urlWarnings(t *testing.T, op, with string) []string {
	t.Helper()
	reg := testRegistry(t)
	if err := httpreq.Register(reg, nil); err != nil {
		t.Fatal(err)
	}
	if err := notify.Register(reg); err != nil {
		t.Fatal(err)
	}
	if err := cluster.Register(reg); err != nil {
		t.Fatal(err)
	}
	src := `version: 1
name: u
inputs:
  name: {type: string, default: bob}
  q: {type: string, default: a}
  env: {type: string, default: prod, enum: [prod, staging]}
  page: {type: integer, default: 1}
  tok: {type: string, secret: true}
vars:
  base: https://api.example.com
  api: v2
  dir: a/b
steps:
  - id: s
    op: ` + op + `
    with:
      ` + with + "\n"
	pb, err := Parse("f.yaml", []byte(src), reg)
	if err != nil {
		t.Fatalf("%s: %v", with, err)
	}
	var out []string
	for _, w := range pb.Warnings {
		out = append(out, fmt.Sprintf("%d:%d: %s", w.Pos.Line, w.Pos.Col, w.Msg))
	}
	return out
}

// TestURLWarning: ${{ }} written bare in the path or query of a URL is
// warned of, at the expression, with the escaping function to write; the
// playbook still loads.
func TestURLWarning(t *testing.T) {
	for _, tc := range []struct{ op, with, want string }{
		{"http.request", `url: "https://api.example.com/users/${{ inputs.name }}"`,
			"17:47: ${{ inputs.name }} sits in the path of http.request's url unescaped, so it is not sure to stay one path segment: a value holding / ? # or % changes the path, and .. reaches another endpoint; write ${{ urlPathEscape(inputs.name) }}"},
		{"http.request", `url: "https://api.example.com/search?q=${{ inputs.q }}&page=1"`,
			"${{ inputs.q }} sits in the query of http.request's url unescaped, so it is not sure to stay one query value: a value holding & = # or % adds parameters or changes the request; write ${{ urlQueryEscape(inputs.q) }}, or give the parameter under query: (http.request takes it escaped)"},
		{"http.request", `url: "${{ vars.base }}/users/${{ inputs.name }}"`,
			"write ${{ urlPathEscape(inputs.name) }}"},
		{"http.request", `url: "https://api.example.com/x?q=${{ inputs.q | urlPathEscape() }}"`,
			"escaped by urlPathEscape, which is for a path segment, so it is not sure to stay one query value: a value holding & = # or % adds parameters or changes the request; write ${{ inputs.q | urlQueryEscape() }}"},
		{"http.request", `url: "https://api.example.com/files/${{ vars.dir }}"`,
			"write ${{ urlPathEscape(vars.dir) }}"},
		{"cluster.health", `nodes: [{name: a, url: "http://10.0.0.1/health/${{ inputs.name }}"}]`,
			"sits in the path of cluster.health's nodes[].url unescaped"},
		{"cluster.health", `nodes: [{name: a, url: "http://10.0.0.1/health?n=${{ inputs.name }}"}]`,
			"write ${{ urlQueryEscape(inputs.name) }}\x00"},
	} {
		got := urlWarnings(t, tc.op, tc.with)
		// \x00 in want marks the end of the message.
		if len(got) != 1 || !strings.Contains(got[0]+"\x00", tc.want) {
			t.Errorf("%s\ngot  %q\nwant one warning with %q", tc.with, got, tc.want)
		}
	}
}

// TestURLNoWarning: the host and a base URL, escaped values, numbers,
// literals, inputs whose enum needs no escaping, vars written as text that
// needs none, the fragment, which is
// never sent, and a secret URL are not warned of.
func TestURLNoWarning(t *testing.T) {
	for _, with := range []string{
		`url: "${{ vars.base }}"`,
		`url: "https://${{ inputs.name }}.example.com:8443/health"`,
		`url: "${{ vars.base }}/users/${{ urlPathEscape(inputs.name) }}"`,
		`url: "https://api/users/${{ inputs.name | urlPathEscape() }}?q=${{ urlQueryEscape(inputs.q) }}"`,
		`url: "https://api/items/${{ inputs.page }}?page=${{ inputs.page + 1 }}"`,
		`url: "https://api/${{ inputs.env }}/x?env=${{ inputs.env }}"`,
		`url: "https://api/x/${{ inputs.q != '' ? urlPathEscape(inputs.q) : 'all' }}"`,
		`url: "https://api/docs#${{ inputs.name }}"`,
		`url: "${{ vars.base }}/api/${{ vars.api }}/items?v=${{ vars.api }}"`,
		`url: "https://api/x?q=$${{ inputs.name }}"`,
	} {
		if got := urlWarnings(t, "http.request", with); len(got) != 0 {
			t.Errorf("%s: want no warning, got %q", with, got)
		}
	} // A webhook's URL is a secret, whose pieces carry their own slashes.
	with := `{url: "https://hooks.example.com/services/${{ inputs.tok }}", text: hi}`
	if got := urlWarnings(t, "notify.webhook", with); len(got) != 0 {
		t.Errorf("%s: want no warning, got %q", with, got)
	}
}

// urlPlaybookWarnings loads the playbook src and gives its warnings as
// line:col: message.
func urlPlaybookWarnings(t *testing.T, src string) []string {
	t.Helper()
	reg := testRegistry(t)
	if err := httpreq.Register(reg, nil); err != nil {
		t.Fatal(err)
	}
	pb, err := Parse("f.yaml", []byte(src), reg)
	if err != nil {
		t.Fatalf("%s: %v", src, err)
	}
	var out []string
	for _, w := range pb.Warnings {
		out = append(out, fmt.Sprintf("%d:%d: %s", w.Pos.Line, w.Pos.Col, w.Msg))
	}
	return out
}

// TestURLNoWarningKnownValues: an input whose pattern admits only text
// that needs no escaping, the item of a foreach over a literal list of
// such values, an integer or bool field of an operation's output, an
// integer input turned to text, and a var computed from a number are not
// warned of; a pattern that admits / or .., an item of a list holding
// a /, and a field declared as text are.
func TestURLNoWarningKnownValues(t *testing.T) {
	src := `version: 1
name: u
inputs:
  svc: {type: string, default: api, pattern: "[a-z0-9-]+"}
  ver: {type: string, default: v2, pattern: "^v[0-9]{1,3}(-beta)?$"}
  path: {type: string, default: a, pattern: "[a-z/]+"}
  dots: {type: string, default: a, pattern: "[a-z.]+"}
  n: {type: integer, default: 1}
vars:
  next: ${{ inputs.n + 1 }}
steps:
  - id: first
    op: http.request
    with:
      url: "https://api/svc/${{ inputs.svc }}/${{ inputs.ver }}?n=${{ string(inputs.n) }}&m=${{ vars.next }}"
  - id: each
    op: http.request
    foreach: [a, b-c, 3]
    with:
      url: "https://api/items/${{ item }}/${{ index }}?s=${{ steps.first.output.status }}&t=${{ steps.first.output.truncated }}"
  - id: maps
    op: http.request
    foreach: [{name: a}, {name: b}]
    with:
      url: "https://api/items/${{ item.name }}"
  - id: bad
    op: http.request
    foreach: [a, b/c]
    with:
      url: "https://api/${{ inputs.path }}/${{ inputs.dots }}/${{ item }}?b=${{ steps.first.output.body }}"
`
	got := urlPlaybookWarnings(t, src)
	want := []string{"inputs.path", "inputs.dots", "item", "steps.first.output.body"}
	if len(got) != len(want) {
		t.Fatalf("got %d warnings, want %d (of %v):\n%s", len(got), len(want), want, strings.Join(got, "\n"))
	}
	for i, w := range want {
		if !strings.HasPrefix(got[i], "30:") || !strings.Contains(got[i], "${{ "+w+" }} sits in") {
			t.Errorf("warning %d: got %q, want one at line 30 of %s", i, got[i], w)
		}
	}
}

// TestPatternPlain: a pattern is taken only when every string it matches
// is letters, digits and - . _ ~.
func TestPatternPlain(t *testing.T) {
	for p, want := range map[string]bool{
		`[a-z0-9-]+`: true, `\d{1,5}`: true, `\w+`: true, `v[0-9]+(-rc[0-9])?`: true, `^[A-Z]{2}$`: true,
		`.+`: false, `[^/]+`: false, `[a-z/]+`: false, `a b`: false, `(?i)[a-z]+`: false, `[a-z%]+`: false, `\S+`: false,
	} {
		if got := patternPlain(p); got != want {
			t.Errorf("patternPlain(%q) = %v, want %v", p, got, want)
		}
	}
}
