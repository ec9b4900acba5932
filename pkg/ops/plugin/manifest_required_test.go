package plugin_test

import (
	"strings"
	"testing"
)

// TestRequiredNotAPropertyIsLocated: a name in params.required that is not
// among the properties is reported at its place in the list, saying what
// to do, and the other problems of the schema (a bad default) are reported
// with it; with additionalProperties: true a step may give it, so it is
// allowed.
func TestRequiredNotAPropertyIsLocated(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, "ok.prog", "#!/bin/sh\necho '{}'\n", 0o755)
	write(t, dir, "r.yaml", "name: acme.r\n"+head+`params:
  type: object
  properties:
    n: {type: integer, default: abc}
  required: [n, m]
`, 0o644)
	write(t, dir, "open.yaml", "name: acme.open\n"+head+`params:
  type: object
  properties:
    n: {type: integer}
  required: [m]
  additionalProperties: true
`, 0o644)
	reg, got := loadDiags(t, dir)
	want := []string{
		`r.yaml:10:33: params.properties.n.default: want an integer, got string`,
		`r.yaml:11:17: params.required: "m" is not among params.properties, and no step could give it; add it under properties, or remove it from required`,
	}
	if len(got) != len(want) {
		t.Fatalf("diagnostics:\n%s\nwant %d", strings.Join(got, "\n"), len(want))
	}
	for i := range want {
		if !strings.HasPrefix(got[i], want[i]) {
			t.Errorf("diagnostic %d:\n got %s\nwant %s...", i, got[i], want[i])
		}
	}
	if _, err := reg.Get("acme.open"); err != nil {
		t.Errorf("the open manifest was not registered: %v", err)
	}
}

// TestSchemaProblemsAllAtOnce: a params schema the meta-schema refuses
// (type: int) does not hide its other problems, a misspelt keyword, a
// nested writeOnly and a required name that is no property: the author
// fixes them all from one load rather than one load each.
func TestSchemaProblemsAllAtOnce(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, "ok.prog", "#!/bin/sh\necho '{}'\n", 0o755)
	write(t, dir, "s.yaml", "name: acme.s\n"+head+`params:
  type: object
  properties:
    n: {type: int}
    who: {type: string, minLenght: 1}
    auth: {type: object, properties: {token: {type: string, writeOnly: true}}}
  required: [n, nme]
output:
  type: object
  properties:
    x: {type: strin, patern: "^a"}
`, 0o644)
	_, got := loadDiags(t, dir)
	want := []string{
		`s.yaml:10:15: params.properties.n.type: value must be one of`,
		`s.yaml:11:25: params.properties.who.minLenght: "minLenght" is not a JSON Schema keyword`,
		`s.yaml:12:61: params.properties.auth.properties.token: writeOnly marks only a top-level params property secret`,
		`s.yaml:13:17: params.required: "nme" is not among params.properties`,
		`s.yaml:17:15: output.properties.x.type: value must be one of`,
		`s.yaml:17:22: output.properties.x.patern: "patern" is not a JSON Schema keyword`,
	}
	if len(got) != len(want) {
		t.Fatalf("diagnostics:\n%s\nwant %d", strings.Join(got, "\n"), len(want))
	}
	for i := range want {
		if !strings.HasPrefix(got[i], want[i]) {
			t.Errorf("diagnostic %d:\n got %s\nwant %s...", i, got[i], want[i])
		}
	}
}
