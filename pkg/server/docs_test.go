package server

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the endpoint reference of docs/server.md")

const (
	refBegin = "<!-- BEGIN endpoints: generated from the OpenAPI document; go test ./pkg/server -run TestEndpointReference -update -->"
	refEnd   = "<!-- END endpoints -->"
)

// TestEndpointReference keeps the endpoint reference of docs/server.md
// what the OpenAPI document says.
func TestEndpointReference(t *testing.T) {
	ts := newTestServer(t)
	want := endpointReference(ts.srv.OpenAPI())
	path := filepath.Join("..", "..", "docs", "server.md")
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	doc := string(data)
	i, j := strings.Index(doc, refBegin), strings.Index(doc, refEnd)
	if i < 0 || j < i {
		t.Fatalf("docs/server.md lacks the markers %q and %q", refBegin, refEnd)
	}
	got := doc[i+len(refBegin) : j]
	if got == want {
		return
	}
	if *update {
		if err := os.WriteFile(path, []byte(doc[:i+len(refBegin)]+want+doc[j:]), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	t.Errorf("the endpoint reference of docs/server.md is out of date; run go test ./pkg/server -run TestEndpointReference -update")
}

// endpointReference renders the document's routes as Markdown: a section
// per tag, a table row per route.
func endpointReference(doc map[string]any) string {
	type row struct{ tag, line string }
	var rows []row
	order := map[string]int{"operations": 0, "playbooks": 1, "runs": 2, "schedules": 3, "processes": 4, "cluster": 5, "stats": 6, "session": 7, "server": 8}
	for path, item := range doc["paths"].(map[string]any) {
		for method, o := range item.(map[string]any) {
			op := o.(map[string]any)
			var codes []string
			for c := range op["responses"].(map[string]any) {
				codes = append(codes, c)
			}
			sort.Strings(codes)
			var query []string
			if ps, ok := op["parameters"].([]any); ok {
				for _, p := range ps {
					pm := p.(map[string]any)
					if pm["in"] == "query" {
						query = append(query, "`"+pm["name"].(string)+"`")
					}
				}
			}
			body := ""
			if rb, ok := op["requestBody"].(map[string]any); ok {
				ref := rb["content"].(map[string]any)["application/json"].(map[string]any)["schema"].(map[string]any)["$ref"].(string)
				body = "`" + strings.TrimPrefix(ref, "#/components/schemas/") + "`"
			}
			auth := "key"
			if sec, _ := op["security"].([]any); len(sec) == 0 {
				auth = "none"
			}
			line := fmt.Sprintf("| `%s %s` | %s | %s | %s | %s | %s |", strings.ToUpper(method), path, op["summary"], strings.Join(query, ", "), body, auth, strings.Join(codes, " "))
			rows = append(rows, row{op["tags"].([]string)[0], line})
		}
	}
	sort.Slice(rows, func(i, j int) bool {
		if rows[i].tag != rows[j].tag {
			return order[rows[i].tag] < order[rows[j].tag]
		}
		return rows[i].line < rows[j].line
	})
	var b strings.Builder
	tag := ""
	for _, r := range rows {
		if r.tag != tag {
			tag = r.tag
			fmt.Fprintf(&b, "\n### %s\n\n| endpoint | what | query | body | auth | statuses |\n|---|---|---|---|---|---|\n", strings.ToUpper(tag[:1])+tag[1:])
		}
		b.WriteString(r.line + "\n")
	}
	b.WriteString("\n")
	return b.String()
}
