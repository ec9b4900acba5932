package server

import (
	"bytes"
	"context"
	"encoding/json"
	"go/ast"
	"go/constant"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/arsenal-run/arsenal-run/pkg/engine"
)

// eventKindsIn returns the values of the constants of type EventKind (or
// engine.EventKind) that the non-test Go files of dir declare.
func eventKindsIn(t *testing.T, dir string) []string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(dir, "*.go"))
	if err != nil {
		t.Fatal(err)
	}
	var kinds []string
	fset := token.NewFileSet()
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, parser.SkipObjectResolution)
		if err != nil {
			t.Fatal(err)
		}
		for _, decl := range f.Decls {
			gd, ok := decl.(*ast.GenDecl)
			if !ok || gd.Tok != token.CONST {
				continue
			}
			for _, spec := range gd.Specs {
				vs := spec.(*ast.ValueSpec)
				if !isEventKind(vs.Type) {
					continue
				}
				for _, v := range vs.Values {
					lit, ok := v.(*ast.BasicLit)
					if !ok || lit.Kind != token.STRING {
						t.Fatalf("%s: an EventKind constant that is not a string literal", fset.Position(v.Pos()))
					}
					kinds = append(kinds, constant.StringVal(constant.MakeFromLiteral(lit.Value, lit.Kind, 0)))
				}
			}
		}
	}
	return kinds
}

func isEventKind(e ast.Expr) bool {
	switch e := e.(type) {
	case *ast.Ident:
		return e.Name == "EventKind"
	case *ast.SelectorExpr:
		return e.Sel.Name == "EventKind"
	}
	return false
}

// eventSchema returns components.schemas.Event as openapi_schemas.json
// gives it to the OpenAPI document.
func eventSchema(t *testing.T) map[string]any {
	t.Helper()
	var schemas map[string]map[string]any
	if err := json.Unmarshal(schemasJSON, &schemas); err != nil {
		t.Fatal(err)
	}
	return schemas["Event"]
}

// TestEventSchemaCoversEveryKindAndField: the OpenAPI document's Event
// schema names every kind the engine and the run service emit (each
// EventKind constant they declare) and every field of the event's JSON
// (each json tag of engine.Event), so that no real event fails it.
func TestEventSchemaCoversEveryKindAndField(t *testing.T) {
	sch := eventSchema(t)
	props := sch["properties"].(map[string]any)

	var kinds []string
	for _, dir := range []string{"../engine", "../runs", "."} {
		kinds = append(kinds, eventKindsIn(t, dir)...)
	}
	if !slices.Contains(kinds, string(engine.EventRepeat)) || !slices.Contains(kinds, "dropped") {
		t.Fatalf("the kinds found in the code lack repeat or dropped: %v", kinds)
	}
	var enum []string
	for _, k := range props["kind"].(map[string]any)["enum"].([]any) {
		enum = append(enum, k.(string))
	}
	for _, k := range kinds {
		if !slices.Contains(enum, k) {
			t.Errorf("the Event schema's kind enum lacks %q", k)
		}
	}

	typ := reflect.TypeFor[engine.Event]()
	var fields []string
	for i := range typ.NumField() {
		name, _, _ := strings.Cut(typ.Field(i).Tag.Get("json"), ",")
		if name == "" || name == "-" {
			t.Errorf("engine.Event.%s has no JSON name", typ.Field(i).Name)
			continue
		}
		fields = append(fields, name)
		p, ok := props[name].(map[string]any)
		if !ok {
			t.Errorf("the Event schema has no property %q (engine.Event.%s)", name, typ.Field(i).Name)
			continue
		}
		_, typed := p["type"]
		_, enum := p["enum"]
		_, ref := p["$ref"]
		if !typed && !enum && !ref && name != "item" { // item is any value
			t.Errorf("the Event schema's %q has no type", name)
		}
	}
	for name := range props {
		if !slices.Contains(fields, name) {
			t.Errorf("the Event schema's %q is no field of engine.Event", name)
		}
	}

	// docs/events.md tells every kind and, in its table, every field.
	data, err := os.ReadFile(filepath.Join("..", "..", "docs", "events.md"))
	if err != nil {
		t.Fatal(err)
	}
	doc := string(data)
	for _, k := range kinds {
		if !regexp.MustCompile(`\b` + k + `\b`).MatchString(doc) {
			t.Errorf("docs/events.md does not tell the event kind %s", k)
		}
	}
	var cells strings.Builder
	for _, l := range strings.Split(doc, "\n") {
		if c := strings.Split(l, "|"); len(c) > 2 && strings.HasPrefix(l, "| `") {
			cells.WriteString(c[1])
		}
	}
	for _, f := range fields {
		if !strings.Contains(cells.String(), "`"+f+"`") {
			t.Errorf("the fields table of docs/events.md has no row for %s", f)
		}
	}
}

// The playbook whose stream has most kinds of event: a repeat, a retry,
// a rolling fan-out with its batch, item and log events, a failure that is ignored, and
// a finally step.
const everyKindPlaybook = `version: 1
name: every_kind
steps:
  - id: poll
    op: control.set
    with: {ready: true}
    repeat: {until: "attempt >= 3", every: 10ms, timeout: 1m}
  - id: flaky
    op: control.set
    with: {n: 1}
    retry: {attempts: 3, delay: 10ms, until: "attempt >= 2"}
  - id: each
    op: control.log
    foreach: "['a', 'b']"
    serial: 1
    with: {message: "item ${{ item }}"}
  - id: boom
    op: control.fail
    with: {message: boom}
    continue_on_error: true
finally:
  - {id: tidy, op: control.log, with: {message: tidied}}
`

// TestEventStreamMatchesSchema: every event of a real stream, a repeat
// and a rolling batch among them, is carried over SSE and valid against the OpenAPI document's Event schema.
func TestEventStreamMatchesSchema(t *testing.T) {
	ts := newTestServer(t)
	ts.addPlaybook(t, "every_kind.yaml", everyKindPlaybook)
	id := ts.post("operator", "/api/v1/playbooks/every_kind/runs?wait=30s", map[string]any{}).want(t, 200).json(t)["run_id"].(string)
	sch, err := compiledSchema(ts.srv.OpenAPI(), "Event")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var kinds []string
	for _, ev := range ts.subscribe(t, ctx, id, "").rest(t) {
		if !slices.Contains(kinds, ev.event) {
			kinds = append(kinds, ev.event)
		}
		b, err := json.Marshal(ev.data)
		if err != nil {
			t.Fatal(err)
		}
		v, err := jsonschema.UnmarshalJSON(bytes.NewReader(b))
		if err != nil {
			t.Fatal(err)
		}
		if err := sch.Validate(v); err != nil {
			t.Errorf("event %s (%s) does not match the Event schema: %v\n%s", ev.id, ev.event, err, b)
		}
	}
	slices.Sort(kinds)
	want := []string{"batch_finished", "batch_started", "item_finished", "item_started", "log", "repeat", "retry", "run_finished", "run_started", "step_finished", "step_started"}
	if diff := cmp.Diff(want, kinds); diff != "" {
		t.Errorf("the kinds of the stream (-want +got):\n%s", diff)
	}
}
