package ops_test

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/arsenal-run/arsenal-run/pkg/ops"
)

// paramSpec has one parameter of every type and every kind of constraint.
var paramSpec = ops.Spec{
	Name: "test.params",
	Risk: ops.RiskRead,
	Params: []ops.Param{
		{Name: "url", Type: ops.TypeString, Required: true, Description: "where to send it", MaxLen: 20},
		{Name: "method", Type: ops.TypeString, Default: "GET", Enum: []any{"GET", "HEAD", "POST"}},
		{Name: "count", Type: ops.TypeInteger, Default: 1, Min: ops.Bound(1), Max: ops.Bound(10)},
		{Name: "ratio", Type: ops.TypeNumber, Min: ops.Bound(0), Max: ops.Bound(1)},
		{Name: "verbose", Type: ops.TypeBool, Default: false},
		{Name: "headers", Type: ops.TypeMap},
		{Name: "tags", Type: ops.TypeList, Items: ops.TypeString, MaxLen: 3},
		{Name: "codes", Type: ops.TypeList, Items: ops.TypeInteger},
		{Name: "anything", Type: ops.TypeList},
		{Name: "timeout", Type: ops.TypeDuration, Default: "30s", Max: ops.Bound(60)},
		{Name: "grace", Type: ops.TypeDuration, Min: ops.Bound(0)},
		{Name: "body", Type: ops.TypeAny},
	},
}

// defaults are the params every valid call gets without asking.
func withDefaults(p ops.Params) ops.Params {
	out := ops.Params{"method": "GET", "count": 1, "verbose": false, "timeout": 30 * time.Second}
	for k, v := range p {
		out[k] = v
	}
	return out
}

func TestValidateParamsConverts(t *testing.T) {
	for _, tc := range []struct {
		name string
		raw  map[string]any
		want ops.Params
	}{
		{"defaults filled", map[string]any{"url": "u"}, withDefaults(ops.Params{"url": "u"})},
		{"given values kept", map[string]any{"url": "u", "method": "POST", "count": 10, "verbose": true}, ops.Params{"url": "u", "method": "POST", "count": 10, "verbose": true, "timeout": 30 * time.Second}},
		{"whole float to integer", map[string]any{"url": "u", "count": 3.0}, withDefaults(ops.Params{"url": "u", "count": 3})},
		{"int64 to integer", map[string]any{"url": "u", "count": int64(4)}, withDefaults(ops.Params{"url": "u", "count": 4})},
		{"int to number", map[string]any{"url": "u", "ratio": 1}, withDefaults(ops.Params{"url": "u", "ratio": 1.0})},
		{"bounds are inclusive", map[string]any{"url": "u", "ratio": 0, "count": 1}, withDefaults(ops.Params{"url": "u", "ratio": 0.0, "count": 1})},
		{"duration text", map[string]any{"url": "u", "timeout": "1m", "grace": "0s"}, withDefaults(ops.Params{"url": "u", "timeout": time.Minute, "grace": time.Duration(0)})},
		{"duration value", map[string]any{"url": "u", "timeout": 5 * time.Second}, withDefaults(ops.Params{"url": "u", "timeout": 5 * time.Second})},
		{"lists and maps", map[string]any{"url": "u", "tags": []any{"a", "b"}, "codes": []any{0, 2.0}, "anything": []any{1, "x", nil}, "headers": map[string]any{"A": "b"}},
			withDefaults(ops.Params{"url": "u", "tags": []any{"a", "b"}, "codes": []any{0, 2.0}, "anything": []any{1, "x", nil}, "headers": map[string]any{"A": "b"}})},
		{"any takes anything", map[string]any{"url": "u", "body": []any{map[string]any{"k": 1}}}, withDefaults(ops.Params{"url": "u", "body": []any{map[string]any{"k": 1}}})},
		{"null optional takes its default", map[string]any{"url": "u", "ratio": nil, "method": nil}, ops.Params{"url": "u", "count": 1, "verbose": false, "method": "GET", "timeout": 30 * time.Second}},
		{"deferred kept for any type", map[string]any{"url": ops.Deferred, "count": ops.Deferred, "tags": ops.Deferred, "timeout": ops.Deferred},
			ops.Params{"url": ops.Deferred, "count": ops.Deferred, "tags": ops.Deferred, "timeout": ops.Deferred, "method": "GET", "verbose": false}},
		{"deferred list items pass the item check", map[string]any{"url": "u", "tags": []any{"a", ops.Deferred}}, withDefaults(ops.Params{"url": "u", "tags": []any{"a", ops.Deferred}})},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ops.ValidateParams(&paramSpec, tc.raw)
			if err != nil {
				t.Fatalf("ValidateParams: %v", err)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("params (-want +got):\n%s", diff)
			}
		})
	}
}

func TestValidateParamsRefuses(t *testing.T) {
	for _, tc := range []struct {
		name string
		raw  map[string]any
		want []string // "param: message", every problem, sorted by param
	}{
		{"required missing", map[string]any{}, []string{"url: is required (where to send it)"}},
		{"required null", map[string]any{"url": nil}, []string{"url: is required but null"}},
		{"string too long", map[string]any{"url": strings.Repeat("x", 21)}, []string{"url: is 21 bytes long, at most 20 allowed"}},
		{"wrong types", map[string]any{"url": 5, "verbose": "yes", "headers": []any{}, "tags": "a", "ratio": "0.5"}, []string{
			"headers: want a map, got list",
			"ratio: want a number, got string",
			"tags: want a list, got string",
			"url: want a string, got integer; quote it as you mean it: unquoted, YAML reads it as the number 5",
			"verbose: want a bool, got string",
		}},
		{"enum", map[string]any{"url": "u", "method": "get"}, []string{"method: get is not one of GET, HEAD, POST"}},
		// A misspelt value is told the one meant.
		{"enum misspelt", map[string]any{"url": "u", "method": "PSOT"}, []string{`method: PSOT is not one of GET, HEAD, POST (did you mean "POST"?)`}},
		{"integer bounds", map[string]any{"url": "u", "count": 0}, []string{"count: 0 is below the minimum 1"}},
		{"integer above", map[string]any{"url": "u", "count": 11}, []string{"count: 11 is above the maximum 10"}},
		{"fraction for integer", map[string]any{"url": "u", "count": 1.5}, []string{"count: want a whole number, got 1.5"}},
		{"huge integer", map[string]any{"url": "u", "count": 1e300}, []string{"count: want a whole number, got 1e+300"}},
		{"number bounds", map[string]any{"url": "u", "ratio": 1.01}, []string{"ratio: 1.01 is above the maximum 1"}},
		{"list too long", map[string]any{"url": "u", "tags": []any{"a", "b", "c", "d"}}, []string{"tags: has 4 items, at most 3 allowed"}},
		{"list item type", map[string]any{"url": "u", "tags": []any{"a", 2}, "codes": []any{0, "1"}}, []string{
			"codes: item 1: want an integer, got string",
			"tags: item 1: want a string, got integer; quote it as you mean it: unquoted, YAML reads it as the number 2",
		}},
		{"bad duration", map[string]any{"url": "u", "timeout": "soon"}, []string{`timeout: want a duration like 30s, 5m or 7d, got "soon"`}},
		{"duration as number", map[string]any{"url": "u", "timeout": 30}, []string{"timeout: 30 has no unit; write it with one, like 30s or 30m"}},
		{"duration as a number in a string", map[string]any{"url": "u", "timeout": " 1.5"}, []string{"timeout: 1.5 has no unit; write it with one, like 1.5s or 1.5m"}},
		{"duration as inf", map[string]any{"url": "u", "timeout": "inf"}, []string{`timeout: want a duration like 30s, 5m or 7d, got "inf"`}},
		{"duration above max", map[string]any{"url": "u", "timeout": "2m"}, []string{"timeout: 2m is above the maximum 1m"}},
		{"zero duration without a minimum", map[string]any{"url": "u", "timeout": "0s"}, []string{"timeout: must be a positive duration"}},
		{"negative duration", map[string]any{"url": "u", "timeout": "-5s"}, []string{"timeout: must be a positive duration"}},
		{"negative duration below the minimum", map[string]any{"url": "u", "grace": "-1s"}, []string{"grace: -1s is below the minimum 0s"}},
		{"unknown with suggestion", map[string]any{"url": "u", "metod": "GET"}, []string{
			`metod: unknown parameter (did you mean "method"?); test.params takes url, method, count, ratio, verbose, headers, tags, codes, anything, timeout, grace, body`,
		}},
		// One misspelt required param is one problem: the unknown name
		// says which param was meant, so "is required" would repeat it.
		{"required misspelt", map[string]any{"uri": "u"}, []string{
			`uri: unknown parameter (did you mean "url"?)`,
		}},
		{"unknown without suggestion", map[string]any{"url": "u", "zzzzzz": 1}, []string{"zzzzzz: unknown parameter; test.params takes url"}},
		{"all at once", map[string]any{"metod": 1, "count": 0, "verbose": 1}, []string{
			"count: 0 is below the minimum 1",
			`metod: unknown parameter (did you mean "method"?)`,
			"verbose: want a bool, got integer",
			"url: is required",
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ops.ValidateParams(&paramSpec, tc.raw)
			pes, ok := err.(ops.ParamErrors)
			if !ok {
				t.Fatalf("ValidateParams = %T %v; want ParamErrors", err, err)
			}
			if len(pes) != len(tc.want) {
				t.Fatalf("got %d problems, want %d:\n%v", len(pes), len(tc.want), err)
			}
			for i, pe := range pes {
				got := pe.Param + ": " + pe.Msg
				if !strings.HasPrefix(got, tc.want[i]) {
					t.Errorf("problem %d is %q; want it to start with %q", i, got, tc.want[i])
				}
			}
		})
	}
}

func TestValidateParamsNoParams(t *testing.T) {
	closed := ops.Spec{Name: "control.noop", Risk: ops.RiskRead}
	_, err := ops.ValidateParams(&closed, map[string]any{"x": 1})
	if err == nil || !strings.Contains(err.Error(), "param x: unknown parameter; control.noop takes no parameters") {
		t.Errorf("ValidateParams = %v; want an unknown-parameter error", err)
	}
	open := ops.Spec{Name: "control.set", Risk: ops.RiskRead, OpenParams: true}
	got, err := ops.ValidateParams(&open, map[string]any{"x": 1, "y": ops.Deferred})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(ops.Params{"x": 1, "y": ops.Deferred}, got); diff != "" {
		t.Errorf("open params (-want +got):\n%s", diff)
	}
}

func TestParamErrorText(t *testing.T) {
	es := ops.ParamErrors{{Param: "url", Msg: "is required"}, {Msg: "url and body exclude each other"}}
	if got, want := es.Error(), "param url: is required; url and body exclude each other"; got != want {
		t.Errorf("Error() = %q; want %q", got, want)
	}
}

func TestParamsAccessors(t *testing.T) {
	p := ops.Params{
		"s": "text", "i": 3, "f": 0.5, "b": true, "d": 2 * time.Second,
		"l": []any{"a", 1}, "m": map[string]any{"k": "v"}, "e": ops.Deferred,
	}
	got := []any{
		p.String("s"), p.Int("i"), p.Float("f"), p.Bool("b"), p.Duration("d"), p.List("l"), p.Map("m"), p.Strings("l"),
		p.String("i"), p.Int("s"), p.Float("i"), p.Bool("s"), p.Duration("s"), p.List("s"), p.Map("s"), p.Strings("s"),
		p.Known("s"), p.Known("e"), p.Known("missing"),
	}
	want := []any{
		"text", 3, 0.5, true, 2 * time.Second, []any{"a", 1}, map[string]any{"k": "v"}, []string{"a", ""},
		"", 0, 0.0, false, time.Duration(0), []any(nil), map[string]any(nil), []string(nil),
		true, false, false,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("accessors (-want +got):\n%s", diff)
	}
	if ops.Deferred.String() != "<expression>" {
		t.Errorf("Deferred prints %q", ops.Deferred.String())
	}
}

func TestTypeName(t *testing.T) {
	got := []string{}
	for _, v := range []any{nil, "s", true, 1, int64(1), 1.5, []any{}, map[string]any{}, time.Second, struct{}{}} {
		got = append(got, ops.TypeName(v))
	}
	want := []string{"null", "string", "bool", "integer", "integer", "number", "list", "map", "duration", "struct {}"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("TypeName (-want +got):\n%s", diff)
	}
}

func TestSpecHelpers(t *testing.T) {
	s := ops.Spec{Name: "process.signal", Params: []ops.Param{{Name: "pid"}, {Name: "signal"}}}
	if s.Category() != "process" {
		t.Errorf("Category = %q", s.Category())
	}
	if p := s.Param("signal"); p == nil || p.Name != "signal" {
		t.Errorf("Param(signal) = %v", p)
	}
	if p := s.Param("nope"); p != nil {
		t.Errorf("Param(nope) = %v; want nil", p)
	}
}

func TestEnumNumbersAndNullDefault(t *testing.T) {
	s := &ops.Spec{Name: "t.t", Risk: ops.RiskRead, Params: []ops.Param{
		{Name: "n", Type: ops.TypeNumber, Enum: []any{1, 2.5}},
		{Name: "d", Type: ops.TypeString, Default: "dflt"},
	}}
	got, err := ops.ValidateParams(s, map[string]any{"n": 1, "d": nil})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(ops.Params{"n": 1.0, "d": "dflt"}, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	if _, err := ops.ValidateParams(s, map[string]any{"n": 3}); err == nil {
		t.Error("3 passed an enum of 1 and 2.5")
	}
}

// A string where a list goes is a common slip (a command line written as
// one string): the error shows it as a list, and adds the spec's hint.
func TestListGivenAStringShowsTheList(t *testing.T) {
	spec := ops.Spec{Name: "test.cmd", Risk: ops.RiskRead, Params: []ops.Param{
		{Name: "command", Type: ops.TypeList, Items: ops.TypeString, TypeHint: "or use script: instead"},
		{Name: "hosts", Type: ops.TypeList},
	}}
	_, err := ops.ValidateParams(&spec, map[string]any{"command": "systemctl restart  nginx", "hosts": strings.Repeat("web ", 30)})
	for _, want := range []string{
		"command: want a list, got string; write it as a list, like [systemctl, restart, nginx]; or use script: instead",
		"hosts: want a list, got string", // too long to repeat as an example
	} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("error %v, want it to contain %q", err, want)
		}
	}
	if err != nil && strings.Contains(err.Error(), "[web,") {
		t.Errorf("a long string was repeated as an example: %v", err)
	}
}
