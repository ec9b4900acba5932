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
