// Package schematest compiles the embedded JSON Schemas and turns YAML and
// Go values into the JSON data model, for the tests that check files and
// reports against the schemas. Only tests import it, so the validator stays
// out of the arsenal-run binary.
package schematest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"go.yaml.in/yaml/v3"

	"github.com/arsenal-run/arsenal-run/schema"
)

// Compile compiles the embedded schema called name (draft 2020-12), with
// format assertions on.
func Compile(t testing.TB, name string) *jsonschema.Schema {
	t.Helper()
	b, err := schema.Get(name)
	if err != nil {
		t.Fatal(err)
	}
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("%s is not JSON: %v", name, err)
	}
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft2020)
	c.AssertFormat()
	if err := c.AddResource(name+".schema.json", doc); err != nil {
		t.Fatal(err)
	}
	s, err := c.Compile(name + ".schema.json")
	if err != nil {
		t.Fatalf("%s does not compile: %v", name, err)
	}
	return s
}

// FromYAML decodes YAML into the JSON data model: anchors expanded, merge
// keys applied, numbers as json.Number.
func FromYAML(data []byte) (any, error) {
	var v any
	if err := yaml.Unmarshal(data, &v); err != nil {
		return nil, err
	}
	return FromValue(jsonable(v))
}

// FromValue passes a Go value through JSON into the JSON data model.
func FromValue(v any) (any, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	return jsonschema.UnmarshalJSON(bytes.NewReader(b))
}

// jsonable turns the map[any]any that YAML gives for non-string keys into
// map[string]any.
func jsonable(v any) any {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			x[k] = jsonable(e)
		}
	case map[any]any:
		m := make(map[string]any, len(x))
		for k, e := range x {
			m[fmt.Sprint(k)] = jsonable(e)
		}
		return m
	case []any:
		for i := range x {
			x[i] = jsonable(x[i])
		}
	}
	return v
}
