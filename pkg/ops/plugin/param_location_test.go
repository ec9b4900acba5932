package plugin_test

import (
	"strings"
	"testing"
)

// TestLiteralParamProblemIsLocated: a literal param checked at validate
// time names the place inside the param the schema refuses (the second
// item of a list, a nested field), as the check at run time does: a
// problem in a list of twenty hosts or a nested object says which.
func TestLiteralParamProblemIsLocated(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, "ok.prog", "#!/bin/sh\necho '{}'\n", 0o755)
	write(t, dir, "loc.yaml", "name: acme.loc\n"+head+`params:
  type: object
  properties:
    tags: {type: array, items: {type: string, pattern: "^[a-z]+$"}}
    db: {type: object, properties: {port: {type: integer, maximum: 9}}}
`, 0o644)
	reg, diags := loadDiags(t, dir)
	if diags != nil {
		t.Fatalf("load: %s", strings.Join(diags, "\n"))
	}
	e, err := reg.Get("acme.loc")
	if err != nil {
		t.Fatal(err)
	}
	raw := map[string]any{"tags": []any{"ok", "Bad"}, "db": map[string]any{"port": 12}}
	for _, final := range []bool{false, true} {
		_, err := e.Validate(raw, final)
		if err == nil {
			t.Fatalf("final %v: no error", final)
		}
		msg := err.Error()
		for _, want := range []string{"param tags: at /1: ", "param db: at /port: "} {
			if !strings.Contains(msg, want) {
				t.Errorf("final %v: no %q in %q", final, want, msg)
			}
		}
	}
}
