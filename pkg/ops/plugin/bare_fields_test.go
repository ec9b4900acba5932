package plugin_test

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestBareFieldsToldToGoUnderProperties: an output or params written as
// its fields alone, without type: object and properties:, is one problem
// that says where the fields go, not one "not a keyword" per field.
func TestBareFieldsToldToGoUnderProperties(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, "ok.prog", "#!/bin/sh\necho '{}'\n", 0o755)
	write(t, dir, "p.yaml", "name: acme.p\n"+head+
		"params:\n  who: {type: string}\noutput:\n  greeting: {type: string}\n  count: {type: integer}\n", 0o644)
	_, got := loadDiags(t, dir)
	want := []string{
		"p.yaml:8:3: params holds fields (who) where a JSON Schema goes: put them under properties:, as params: {type: object, properties: {who: …}}",
		"p.yaml:10:3: output holds fields (count, greeting) where a JSON Schema goes: put them under properties:, as output: {type: object, properties: {count: …}}",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("diagnostics (-want +got):\n%s", diff)
	}
}
