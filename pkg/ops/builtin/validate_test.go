package builtin

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/arsenal-run/arsenal-run/pkg/ops"
)

// wrongValue returns a value of another type than t, and false for a
// type that takes any value.
func wrongValue(t ops.Type) (any, bool) {
	switch t {
	case ops.TypeString, ops.TypeDuration:
		return 5, true
	case ops.TypeInteger, ops.TypeNumber, ops.TypeBool, ops.TypeList:
		return "x", true
	case ops.TypeMap:
		return []any{1}, true
	}
	return nil, false
}

// sampleValue returns a value the param takes, or nearly: its default,
// its first enum value, or a plain value of its type.
func sampleValue(p ops.Param) any {
	switch {
	case p.Default != nil:
		return p.Default
	case len(p.Enum) > 0:
		return p.Enum[0]
	}
	switch p.Type {
	case ops.TypeInteger:
		return 1
	case ops.TypeNumber:
		return 1.0
	case ops.TypeBool:
		return true
	case ops.TypeList:
		return []any{"x"}
	case ops.TypeMap:
		return map[string]any{"k": "v"}
	case ops.TypeDuration:
		return "1s"
	}
	return "x"
}

// TestValidateWrongTypesNeverPanics gives every parameter of every built-in
// operation a value of the wrong type, alone and among good values, and
// all of them at once. The operations' own checks run on what the schema
// accepted, with the refused params as Deferred: none may panic, and the
// refused param must be reported.
func TestValidateWrongTypesNeverPanics(t *testing.T) {
	r := newRegistry(t)
	type tc struct {
		raw   map[string]any
		wrong []string // the params given a value of the wrong type
	}
	for _, e := range r.List("") {
		all := tc{raw: map[string]any{}}
		for _, p := range e.Spec.Params {
			if v, ok := wrongValue(p.Type); ok {
				all.raw[p.Name] = v
				all.wrong = append(all.wrong, p.Name)
			}
		}
		cases := map[string]tc{}
		if len(all.wrong) > 0 {
			cases["all wrong"] = all
		}
		for _, p := range e.Spec.Params {
			v, ok := wrongValue(p.Type)
			if !ok {
				continue
			}
			cases[p.Name+" wrong alone"] = tc{map[string]any{p.Name: v}, []string{p.Name}}
			among := map[string]any{}
			for _, q := range e.Spec.Params {
				among[q.Name] = sampleValue(q)
			}
			among[p.Name] = v
			cases[p.Name+" wrong among good values"] = tc{among, []string{p.Name}}
			if p.Type == ops.TypeList && p.Items != "" && p.Items != ops.TypeAny {
				if item, ok := wrongValue(p.Items); ok {
					items := map[string]any{}
					for k, v := range among {
						items[k] = v
					}
					items[p.Name] = []any{item}
					cases[p.Name+" with an item of the wrong type"] = tc{items, []string{p.Name}}
				}
			}
		}
		for name, c := range cases {
			for _, final := range []bool{false, true} {
				t.Run(fmt.Sprintf("%s/%s/final=%v", e.Spec.Name, name, final), func(t *testing.T) {
					err := validateNoPanic(e, c.raw, final)
					var pes ops.ParamErrors
					if !errors.As(err, &pes) {
						t.Fatalf("Validate(%v) = %v; want ParamErrors", c.raw, err)
					}
					for _, w := range c.wrong {
						found := false
						for _, pe := range pes {
							found = found || pe.Param == w
						}
						if !found {
							t.Errorf("param %s = %v is not reported: %v", w, c.raw[w], err)
						}
					}
				})
			}
		}
	}
}

func validateNoPanic(e *ops.Entry, raw map[string]any, final bool) (err error) {
	defer func() {
		if v := recover(); v != nil {
			err = fmt.Errorf("Validate panicked: %v", v)
		}
	}()
	_, err = e.Validate(raw, final)
	return err
}

// TestValidateReportsSchemaAndOpProblemsTogether is the case of a URL
// without a scheme, which http.request's own check refuses, next to a
// timeout without a unit, which the schema refuses: both are reported at
// once, not the URL's only after the timeout is fixed.
func TestValidateReportsSchemaAndOpProblemsTogether(t *testing.T) {
	e, err := newRegistry(t).Get("http.request")
	if err != nil {
		t.Fatal(err)
	}
	_, err = e.Validate(map[string]any{"url": "127.0.0.1:18080/json", "timeout": 5}, false)
	var pes ops.ParamErrors
	if !errors.As(err, &pes) {
		t.Fatalf("Validate = %v; want ParamErrors", err)
	}
	var got []string
	for _, pe := range pes {
		got = append(got, pe.Param)
	}
	if strings.Join(got, ",") != "timeout,url" || !strings.Contains(pes[0].Msg, "has no unit") {
		t.Errorf("Validate = %v; want the timeout's missing unit, then the url's problem", err)
	}
}
