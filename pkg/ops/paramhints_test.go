package ops_test

import (
	"strings"
	"testing"

	"github.com/arsenal-run/arsenal-run/pkg/ops"
)

// TestNumberGivenAsText: a threshold written as text, "90%", "0.5" or
// "100M", is refused with the number to write instead.
func TestNumberGivenAsText(t *testing.T) {
	spec := ops.Spec{
		Name: "test.numbers",
		Risk: ops.RiskRead,
		Params: []ops.Param{
			{Name: "percent", Type: ops.TypeNumber},
			{Name: "count", Type: ops.TypeInteger},
			{Name: "min_size", Type: ops.TypeInteger, Description: "at least this many bytes"},
		},
	}
	for _, tc := range []struct {
		raw  map[string]any
		want string
	}{
		{map[string]any{"percent": "90%"}, `param percent: want a number, got string; a percentage is written as the number alone, 90, not "90%"`},
		{map[string]any{"percent": " 12.5 % "}, `a percentage is written as the number alone, 12.5, not`},
		{map[string]any{"percent": "0.5"}, `param percent: want a number, got string; write the number without quotes, 0.5 (from ${{ }}, convert it with float(x))`},
		{map[string]any{"count": "3"}, `write the number without quotes, 3 (from ${{ }}, convert it with int(x))`},
		// int() and float() read the text as it is: a command's stdout
		// ends with a newline, and int("3.0") fails.
		{map[string]any{"count": "3\n"}, `write the number without quotes, 3 (from ${{ }}, convert it with int(trim(x)))`},
		{map[string]any{"count": "3.0"}, `write the number without quotes, 3.0 (from ${{ }}, convert it with int(float(x)))`},
		{map[string]any{"percent": " 0.5\n"}, `write the number without quotes, 0.5 (from ${{ }}, convert it with float(trim(x)))`},
		{map[string]any{"min_size": "100M"}, `param min_size: want an integer, got string; give the size as a whole number of bytes, 104857600 for 100M (units of 1024)`},
		{map[string]any{"min_size": "1.5GiB"}, `1610612736 for 1.5GiB`},
		// An integer is not told to take a number it refuses as well.
		{map[string]any{"count": "2.5"}, `param count: want an integer, got string; it takes a whole number, written without quotes, not 2.5`},
		{map[string]any{"count": "12.5%"}, `it takes a whole number, written without quotes, not 12.5`},
		{map[string]any{"count": "40%"}, `a percentage is written as the number alone, 40, not "40%"`},
	} {
		_, err := ops.ValidateParams(&spec, tc.raw)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v: %v, want it to contain %q", tc.raw, err, tc.want)
		}
	}
	// A size given to a param that does not count bytes gets no
	// advice in bytes, nor does text that holds no number.
	for _, raw := range []map[string]any{{"count": "100M"}, {"percent": "high"}} {
		_, err := ops.ValidateParams(&spec, raw)
		if err == nil || strings.Contains(err.Error(), ";") {
			t.Errorf("%v: %v, want the bare type error", raw, err)
		}
	}
}

// TestBoolGivenAsText: a bool written as text, as Ansible's yes or a
// quoted "true", or a condition written without ${{ }}, is refused with
// what to write instead.
func TestBoolGivenAsText(t *testing.T) {
	spec := ops.Spec{
		Name:   "test.bools",
		Risk:   ops.RiskRead,
		Params: []ops.Param{{Name: "that", Type: ops.TypeBool}},
	}
	for _, tc := range []struct {
		raw  any
		want string
	}{
		{"yes", `param that: want a bool, got string; write true, without quotes (YAML reads "yes" as text)`},
		{"true", `write true, without quotes (YAML reads "true" as text)`},
		{"Off", `write false, without quotes (YAML reads "Off" as text)`},
		{"inputs.count > 1", `a condition is an expression: write it inside ${{ }}, like ${{ inputs.count > 1 }}`},
		{"inputs.force", `like ${{ inputs.force }}`},
		{"!inputs.dry_run", `like ${{ !inputs.dry_run }}`},
	} {
		_, err := ops.ValidateParams(&spec, map[string]any{"that": tc.raw})
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: %v, want it to contain %q", tc.raw, err, tc.want)
		}
	}
	// Text that reads as neither gets the bare type error.
	for _, raw := range []string{"maybe", "restart the web tier", ""} {
		_, err := ops.ValidateParams(&spec, map[string]any{"that": raw})
		if err == nil || strings.Contains(err.Error(), ";") {
			t.Errorf("%q: %v, want the bare type error", raw, err)
		}
	}
}
