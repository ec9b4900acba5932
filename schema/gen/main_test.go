package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/arsenal-run/arsenal-run/pkg/ops"
)

var update = flag.Bool("update", false, "rewrite ../playbook.schema.json from the generator")

const committed = "../playbook.schema.json"

// TestCommittedSchemaIsGenerated fails when playbook.schema.json is not
// what the generator writes now: run `go generate ./schema`, or this test
// with -update.
func TestCommittedSchemaIsGenerated(t *testing.T) {
	reg, err := newRegistry()
	if err != nil {
		t.Fatal(err)
	}
	want, err := Playbook(reg)
	if err != nil {
		t.Fatal(err)
	}
	if *update {
		if err := os.WriteFile(committed, want, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	got, err := os.ReadFile(committed)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s is out of date; run `go generate ./schema` (or go test ./schema/gen -update)", committed)
	}
	// The output is a valid draft 2020-12 schema.
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(want))
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	if err := c.AddResource("playbook.schema.json", doc); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Compile("playbook.schema.json"); err != nil {
		t.Fatalf("the generated schema does not compile: %v", err)
	}
}

// TestEveryOpDescribed checks that each registered operation has its with:
// described, with its required parameters.
func TestEveryOpDescribed(t *testing.T) {
	reg, err := newRegistry()
	if err != nil {
		t.Fatal(err)
	}
	b, err := Playbook(reg)
	if err != nil {
		t.Fatal(err)
	}
	var s struct {
		Defs map[string]struct {
			Required   []string       `json:"required"`
			Properties map[string]any `json:"properties"`
		} `json:"$defs"`
	}
	if err := json.Unmarshal(b, &s); err != nil {
		t.Fatal(err)
	}
	for _, e := range reg.List("") {
		d, ok := s.Defs[withDef(e.Spec.Name)]
		if !ok {
			t.Errorf("no with: schema for %s", e.Spec.Name)
			continue
		}
		if len(d.Properties) != len(e.Spec.Params) {
			t.Errorf("%s: %d params in the schema, %d in the spec", e.Spec.Name, len(d.Properties), len(e.Spec.Params))
		}
		if got, want := strings.Join(d.Required, ","), strings.Join(required(&e.Spec), ","); got != want {
			t.Errorf("%s: required %q, want %q", e.Spec.Name, got, want)
		}
	}
}

// TestParamSchemas validates sample with: values against the schema of an
// operation with one parameter of each kind.
func TestParamSchemas(t *testing.T) {
	reg := ops.NewRegistry()
	reg.MustRegister(ops.Spec{Name: "test.params", Risk: ops.RiskRead, Params: []ops.Param{
		{Name: "url", Type: ops.TypeString, Required: true, MaxLen: 10},
		{Name: "method", Type: ops.TypeString, Enum: []any{"GET", "POST"}},
		{Name: "count", Type: ops.TypeInteger, Min: ops.Bound(1), Max: ops.Bound(10)},
		{Name: "ratio", Type: ops.TypeNumber},
		{Name: "on", Type: ops.TypeBool},
		{Name: "headers", Type: ops.TypeMap},
		{Name: "tags", Type: ops.TypeList, Items: ops.TypeString, MaxLen: 2},
		{Name: "wait", Type: ops.TypeDuration},
		{Name: "grace", Type: ops.TypeDuration, Min: ops.Bound(0)},
		{Name: "script", Type: ops.TypeString, NoInterpolation: true, Fix: "use env"},
		{Name: "body", Type: ops.TypeAny},
	}}, ops.Func(nil))
	b, err := Playbook(reg)
	if err != nil {
		t.Fatal(err)
	}
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	if err := c.AddResource("p.json", doc); err != nil {
		t.Fatal(err)
	}
	sch, err := c.Compile("p.json")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		with string
		ok   bool
	}{
		{`{"url": "u"}`, true},
		{`{"url": "${{ inputs.u }}", "method": "${{ vars.m }}", "count": "${{ 1 }}", "on": "${{ true }}", "tags": "${{ [] }}", "wait": "${{ '1s' }}"}`, true},
		{`{"url": "u", "method": null, "count": 10, "ratio": 0.5, "on": false, "headers": {"a": 1}, "tags": ["a", "${{ x }}"], "wait": "1m30s", "grace": "0s", "script": "echo $X", "body": [1]}`, true},
		{`{}`, false},
		{`{"url": null}`, false},
		{`{"url": "01234567890"}`, false},
		{`{"url": "u", "method": "PUT"}`, false},
		{`{"url": "u", "count": 0}`, false},
		{`{"url": "u", "count": 1.5}`, false},
		{`{"url": "u", "ratio": "half"}`, false},
		{`{"url": "u", "on": "yes"}`, false},
		{`{"url": "u", "headers": []}`, false},
		{`{"url": "u", "tags": ["a", "b", "c"]}`, false},
		{`{"url": "u", "tags": [1]}`, false},
		{`{"url": "u", "wait": "5"}`, false},
		{`{"url": "u", "wait": "0s"}`, false},
		{`{"url": "u", "wait": "-1s"}`, false},
		{`{"url": "u", "script": "echo ${{ inputs.x }}"}`, false},
		{`{"url": "u", "nope": 1}`, false},
	} {
		with, err := jsonschema.UnmarshalJSON(strings.NewReader(tc.with))
		if err != nil {
			t.Fatal(err)
		}
		pb := map[string]any{"version": json.Number("1"), "name": "p", "steps": []any{map[string]any{"id": "a", "op": "test.params", "with": with}}}
		err = sch.Validate(pb)
		if (err == nil) != tc.ok {
			t.Errorf("with %s: valid = %v, want %v (%v)", tc.with, err == nil, tc.ok, err)
		}
	}
}
