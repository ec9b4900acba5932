package auth

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"go.yaml.in/yaml/v3"

	"github.com/arsenal-run/arsenal-run/schema"
)

func policySchema(t *testing.T) *jsonschema.Schema {
	t.Helper()
	raw, err := schema.Get("policy")
	if err != nil {
		t.Fatal(err)
	}
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	if err := c.AddResource("policy.schema.json", doc); err != nil {
		t.Fatal(err)
	}
	s, err := c.Compile("policy.schema.json")
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func yamlToJSON(t *testing.T, data []byte) any {
	t.Helper()
	var v any
	if err := yaml.Unmarshal(data, &v); err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	out, err := jsonschema.UnmarshalJSON(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestExamplePolicies loads every example policy and checks it against the
// JSON Schema, so the schema, the loader and the examples agree.
func TestExamplePolicies(t *testing.T) {
	s := policySchema(t)
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
	} {
		if err := s.Validate(yamlToJSON(t, []byte(bad))); err == nil {
			t.Errorf("schema accepts %q", bad)
		}
	}
}
