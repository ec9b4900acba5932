package auth

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/arsenal-run/arsenal-run/schema/schematest"
)

func yamlToJSON(t *testing.T, data []byte) any {
	t.Helper()
	v, err := schematest.FromYAML(data)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// TestExamplePolicies loads every example policy and checks it against the
// JSON Schema, so the schema, the loader and the examples agree.
func TestExamplePolicies(t *testing.T) {
	s := schematest.Compile(t, "policy")
	reg := testRegistry(t)
	files, _ := filepath.Glob("testdata/policies/*.yaml")
	if len(files) == 0 {
		t.Fatal("no example policies")
	}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := ParsePolicy(f, data, reg); err != nil {
			t.Errorf("%s: %v", f, err)
		}
		if err := s.Validate(yamlToJSON(t, data)); err != nil {
			t.Errorf("%s does not match the schema: %v", f, err)
		}
	}
	for _, bad := range []string{
		"version: 1\nroles: {a: {alow: []}}\n",
		"version: 2\n",
		"version: 1\nroles: {a: {max_risk: huge}}\n",
		"version: 1\nroles: {a: {playbooks: [{path: x}]}}\n",
		"version: 1\nroles: {a: {playbooks: [{path: x, as: admin, inputs: {n: []}}]}}\n",
		"version: 1\nroles: {a: {playbooks: [{path: x, as: admin, inputs: {n: {mx: 5}}}]}}\n",
		"version: 1\nroles: {a: {playbooks: [{path: x, as: admin, inputs: {n: 5}}]}}\n",
	} {
		if err := s.Validate(yamlToJSON(t, []byte(bad))); err == nil {
			t.Errorf("schema accepts %q", bad)
		}
	}
}

// TestSchemaTakesEmptySections checks that a section written with nothing
// under it (null), which the loader reads as empty, passes the schema, so
// that an editor does not flag a policy that loads.
func TestSchemaTakesEmptySections(t *testing.T) {
	s := schematest.Compile(t, "policy")
	reg := testRegistry(t)
	for _, doc := range []string{
		"version: 1\nroles:\n",
		"version: 1\nrate:\n",
		"version: 1\nrate: {ops: }\n",
		"version: 1\ncache:\n",
		"version: 1\nroles: {ops: {http: }}\n",
		"version: 1\nroles: {ops: {playbooks: [{path: x.yaml, as: admin, inputs: }]}}\n",
	} {
		if _, err := ParsePolicy("p.yaml", []byte(doc), reg); err != nil {
			t.Errorf("%q: the loader refuses it: %v", doc, err)
		}
		if err := s.Validate(yamlToJSON(t, []byte(doc))); err != nil {
			t.Errorf("%q loads, but the schema refuses it: %v", doc, err)
		}
	}
}
