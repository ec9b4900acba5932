package schema_test

import (
	"testing"

	"github.com/arsenal-run/arsenal-run/pkg/engine"
	"github.com/arsenal-run/arsenal-run/pkg/ops"
	"github.com/arsenal-run/arsenal-run/pkg/ops/builtin"
	"github.com/arsenal-run/arsenal-run/pkg/steps"
	"github.com/arsenal-run/arsenal-run/schema/schematest"
)

// TestSchemaAgreesWithLoader checks playbooks on which the schema and the
// loader must give the same answer: an editor must not flag what runs,
// nor pass what the loader refuses where the schema can tell.
func TestSchemaAgreesWithLoader(t *testing.T) {
	s := schematest.Compile(t, "playbook")
	reg := ops.NewRegistry()
	if err := builtin.Register(reg, builtin.Options{}); err != nil {
		t.Fatal(err)
	}
	if err := engine.RegisterPlaybookOp(engine.New(reg)); err != nil {
		t.Fatal(err)
	}
	const step = "steps:\n  - id: a\n    op: control.noop\n"
	for _, tc := range []struct {
		name, doc string
		ok        bool
	}{
		{"an input written with no settings is a string", "inputs:\n  host:\n" + step, true},
		{"an input with env", "inputs:\n  host: {env: HOST}\n" + step, true},
		{"an input with env and from_env", "inputs:\n  host: {env: HOST, from_env: HOST}\n" + step, false},
		// min, max and pattern apply to some types; enum values have the
		// input's type.
		{"min on an integer input", "inputs:\n  n: {type: integer, min: 1, max: 5}\n" + step, true},
		{"min on a string input", "inputs:\n  n: {min: 1}\n" + step, false},
		{"max on a list input", "inputs:\n  n: {type: list, max: 1}\n" + step, false},
		{"pattern on an input of no type", "inputs:\n  n: {pattern: '[a-z]+'}\n" + step, true},
		{"pattern on a duration input", "inputs:\n  n: {type: duration, pattern: '[0-9]+m'}\n" + step, true},
		{"pattern on a number input", "inputs:\n  n: {type: number, pattern: '[0-9]+'}\n" + step, false},
		{"enum of integers on an integer input", "inputs:\n  n: {type: integer, enum: [1, 2]}\n" + step, true},
		{"enum of strings on an integer input", "inputs:\n  n: {type: integer, enum: [a, b]}\n" + step, false},
		{"enum of numbers on an input of no type", "inputs:\n  n: {enum: [1, 2]}\n" + step, false},
		{"enum of durations on a duration input", "inputs:\n  n: {type: duration, enum: [1m, 90s]}\n" + step, true},
		{"enum of non-durations on a duration input", "inputs:\n  n: {type: duration, enum: [1m, soon]}\n" + step, false},
		// A notify entry's webhook: and email: are the operations' with:,
		// less what the run summary fills.
		{"a webhook with its url", step + "notify:\n  - webhook: {url: 'https://hooks.example.com/x', format: slack}\n", true},
		{"a webhook with a misspelt param", step + "notify:\n  - webhook: {url: 'https://hooks.example.com/x', fromat: slack}\n", false},
		{"a webhook without url", step + "notify:\n  - webhook: {format: slack}\n", false},
		{"a webhook of an unknown format", step + "notify:\n  - webhook: {url: 'https://hooks.example.com/x', format: discord}\n", false},
		{"an email without subject and body", step + "notify:\n  - email: {host: smtp.example.com, from: a@example.com, to: [b@example.com]}\n", true},
		{"an email without to", step + "notify:\n  - email: {host: smtp.example.com, from: a@example.com}\n", false},
		{"an email with a port as text", step + "notify:\n  - email: {host: smtp.example.com, from: a@example.com, to: [b@example.com], port: 'x'}\n", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			doc := []byte("version: 1\nname: t\n" + tc.doc)
			_, lerr := steps.Parse("t.yaml", doc, reg)
			if (lerr == nil) != tc.ok {
				t.Fatalf("the loader: valid %v, want %v (%v)", lerr == nil, tc.ok, lerr)
			}
			v, err := schematest.FromYAML(doc)
			if err != nil {
				t.Fatal(err)
			}
			if serr := s.Validate(v); (serr == nil) != tc.ok {
				t.Errorf("the schema: valid %v, the loader %v:\n%v", serr == nil, tc.ok, serr)
			}
		})
	}
}
