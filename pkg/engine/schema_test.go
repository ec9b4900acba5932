package engine

import (
	"bytes"
	"cmp"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/arsenal-run/arsenal-run/pkg/report"
	"github.com/arsenal-run/arsenal-run/schema"
	"github.com/arsenal-run/arsenal-run/schema/schematest"
)

func validateReport(t *testing.T, s *jsonschema.Schema, name string, data []byte) {
	t.Helper()
	v, err := jsonschema.UnmarshalJSON(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	if err := s.Validate(v); err != nil {
		t.Errorf("%s does not match schema/report.schema.json: %v", name, err)
	}
}

// TestReportsMatchTheSchema checks reports the engine writes, with every
// kind of step outcome, and the renderers' test reports against the JSON
// Schema.
func TestReportsMatchTheSchema(t *testing.T) {
	s := schematest.Compile(t, "report")
	e, _ := newEngine(t)
	if err := RegisterPlaybookOp(e); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "child.yaml"), []byte("version: 1\nname: child\nsteps:\n  - {id: c, op: control.noop}\n"), 0o644)
	main := filepath.Join(dir, "main.yaml")
	os.WriteFile(main, []byte(header+`
inputs:
  pw: {type: string, secret: true, default: hidden}
steps:
  - {id: ok, op: control.set, with: {v: 1, text: "`+strings.Repeat("long output ", 100)+`"}}
  - {id: skipped, op: control.noop, when: "false"}
  - {id: flaky, op: test.flaky, with: {key: k, fails: 1}, retry: {attempts: 2, delay: 1ms}}
  - {id: fan, op: test.busy, foreach: 0..4, with: {fail: "${{ item == 1 }}", wait: 1ms}, continue_on_error: true}
  - {id: hosts, op: control.noop, foreach: '${{ [{name: "web-1"}, {name: "web-2"}] }}', serial: 1}
  - {id: sub, op: playbook.run, with: {path: child.yaml}}
  - {id: confirm, op: control.noop, confirm: "sure?", continue_on_error: true}
  - {id: broken, op: control.fail}
  - {id: after, op: control.noop}
on_failure:
  - {id: alert, op: control.log, with: {message: "${{ inputs.pw }}"}}
finally:
  - {id: last, op: control.noop}
outputs:
  v: "${{ steps.ok.output.v }}"
  bad: "${{ steps.ok.output.v.x }}"
`), 0o644)
	p, err := e.Load(main)
	if err != nil {
		t.Fatal(err)
	}
	// The same playbook on engines whose output budget is spent at once
	// and whose confirmations are declined: cut records, declined steps.
	spent, _ := newEngine(t, WithOutputBudget(1), WithConfirmer(answer(false)))
	if err := RegisterPlaybookOp(spent); err != nil {
		t.Fatal(err)
	}
	sp, err := spent.Load(main)
	if err != nil {
		t.Fatal(err)
	}
	cut := mustRun(t, sp, nil)
	if cut.OutputBudget == nil || stepOf(t, cut, "ok").Cut == nil || stepOf(t, cut, "confirm").Error.Class != "declined" {
		t.Fatalf("no cut outputs or declined step to check:\n%s", dump(cut))
	}
	for name, rep := range map[string]*report.Report{
		"failed run":             mustRun(t, p, nil),
		"dry run":                mustRun(t, p, nil, DryRun()),
		"resumed run":            mustRun(t, p, nil, Resume(mustRun(t, p, nil))),
		"budget spent, declined": cut,
	} {
		b, err := json.Marshal(rep)
		if err != nil {
			t.Fatal(err)
		}
		validateReport(t, s, name, b)
	}
	files, _ := filepath.Glob("../report/testdata/report/*.json")
	if len(files) == 0 {
		t.Fatal("no test reports in pkg/report/testdata")
	}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		validateReport(t, s, f, b)
	}
}

// TestReportSchemaDeclaresEveryField checks that the JSON Schema names
// every field the report's types write, so that a new field is described
// for the programs that read reports.
func TestReportSchemaDeclaresEveryField(t *testing.T) {
	b, err := schema.Get("report")
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Properties map[string]any `json:"properties"`
		Defs       map[string]struct {
			Properties map[string]any `json:"properties"`
		} `json:"$defs"`
	}
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	for def, v := range map[string]any{"": report.Report{}, "step": report.Step{}, "item": report.Item{}, "attempt": report.Attempt{}, "error": report.Error{}, "decision": report.Decision{}} {
		props := doc.Properties
		if def != "" {
			props = doc.Defs[def].Properties
		}
		rt := reflect.TypeOf(v)
		for i := range rt.NumField() {
			name, _, _ := strings.Cut(rt.Field(i).Tag.Get("json"), ",")
			if name == "" || name == "-" {
				continue
			}
			if _, ok := props[name]; !ok {
				t.Errorf("%s.%s (json %q) is not in schema/report.schema.json (%s)", rt.Name(), rt.Field(i).Name, name, cmp.Or(def, "top level"))
			}
		}
	}
}
