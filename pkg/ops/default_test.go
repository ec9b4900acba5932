package ops

import (
	"context"
	"strings"
	"testing"
)

// TestRegisterRefusesDefaultsOfTheWrongType: a default that does not
// convert to its parameter's type, or that its enum or bounds refuse, is
// refused at Register, naming the op, the parameter and the type, instead
// of reaching the operation as nil or zero at run time.
func TestRegisterRefusesDefaultsOfTheWrongType(t *testing.T) {
	noop := Func(func(context.Context, Params) (map[string]any, error) { return nil, nil })
	for _, tc := range []struct {
		param Param
		want  []string
	}{
		{Param{Name: "count", Type: TypeInteger, Default: "abc"}, []string{"op t.def", "parameter count", `default: "abc"`, "type integer"}},
		{Param{Name: "wait", Type: TypeDuration, Default: "ten seconds"}, []string{"op t.def", "parameter wait", "type duration"}},
		{Param{Name: "ratio", Type: TypeNumber, Default: true}, []string{"parameter ratio", "type number"}},
		{Param{Name: "mode", Type: TypeString, Default: "fast", Enum: []any{"slow", "safe"}}, []string{"parameter mode", "not one of slow, safe"}},
		{Param{Name: "port", Type: TypeInteger, Default: 0, Min: Bound(1)}, []string{"parameter port", "below the minimum"}},
	} {
		err := NewRegistry().Register(Spec{Name: "t.def", Risk: RiskRead, Params: []Param{tc.param}}, noop)
		if err == nil {
			t.Errorf("%s: default %#v accepted", tc.param.Name, tc.param.Default)
			continue
		}
		for _, w := range tc.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("%s: error %q lacks %q", tc.param.Name, err, w)
			}
		}
	}
	ok := []Param{
		{Name: "count", Type: TypeInteger, Default: 3},
		{Name: "wait", Type: TypeDuration, Default: "30s", Min: Bound(1)},
		{Name: "ratio", Type: TypeNumber, Default: 1},
		{Name: "mode", Type: TypeString, Default: "safe", Enum: []any{"slow", "safe"}},
	}
	if err := NewRegistry().Register(Spec{Name: "t.def", Risk: RiskRead, Params: ok}, noop); err != nil {
		t.Errorf("good defaults refused: %v", err)
	}
}
