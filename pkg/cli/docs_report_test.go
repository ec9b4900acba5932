package cli

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/arsenal-run/arsenal-run/schema"
)

// TestReportsDocNamesEveryField: the section of docs/reports.md that lists
// the JSON report's fields names every field the report's schema has, at
// the top level, in a step, an item of a fan-out, a nested run, an
// attempt and an authorization decision, so that a field the report
// gains is listed where a reader of the report looks it up.
func TestReportsDocNamesEveryField(t *testing.T) {
	doc := repoFile(t, "docs/reports.md")
	i := strings.Index(doc, "## The JSON report\n")
	j := strings.Index(doc, "\n## Sinks")
	if i < 0 || j < i {
		t.Fatal("docs/reports.md has no section \"The JSON report\" before \"Sinks\"")
	}
	section := doc[i:j]
	b, err := schema.Get("report")
	if err != nil {
		t.Fatal(err)
	}
	type node struct {
		Properties map[string]json.RawMessage `json:"properties"`
	}
	var s struct {
		node
		Defs map[string]node `json:"$defs"`
	}
	if err := json.Unmarshal(b, &s); err != nil {
		t.Fatal(err)
	}
	check := func(where string, n node) {
		if len(n.Properties) == 0 {
			t.Errorf("the report schema's %s has no properties", where)
		}
		var missing []string
		for name := range n.Properties {
			if !strings.Contains(section, "`"+name+"`") && !strings.Contains(section, "`"+name+"[]`") {
				missing = append(missing, name)
			}
		}
		slices.Sort(missing)
		if len(missing) > 0 {
			t.Errorf("docs/reports.md, The JSON report, does not name these fields of the report's %s: %s", where, strings.Join(missing, ", "))
		}
	}
	check("top level", s.node)
	for _, def := range []string{"step", "item", "subrun", "attempt", "decision", "confirmation", "playbook", "error"} {
		check(def, s.Defs[def])
	}
}
