package steps

import (
	"encoding/json"
	"strings"
	"testing"
)

// TestIntegerInputsAreExact: an integer input keeps the exact value given
// as text, as a YAML or JSON number, up to 2^53-1; one past it is refused
// with what to do instead, never rounded (9007199254740993 read through a
// float64 became 9007199254740992 without a word).
func TestIntegerInputsAreExact(t *testing.T) {
	in := &Input{Name: "ticket", Type: InputInteger}
	for _, s := range []string{"9007199254740991", "-9007199254740991", " 42 ", "3.0", "1e3"} {
		v, err := in.Parse(s)
		if err != nil {
			t.Errorf("%q: %v", s, err)
			continue
		}
		if _, ok := v.(int); !ok {
			t.Errorf("%q: %T %v, want an int", s, v, v)
		}
	}
	if v, _ := in.Parse("9007199254740991"); v != 9007199254740991 {
		t.Errorf("2^53-1 read as %v", v)
	}
	for _, v := range []any{"9007199254740993", "9007199254740992", "-9007199254740993", "99999999999999999999"} {
		_, err := in.Parse(v.(string))
		if err == nil || !strings.Contains(err.Error(), "want a whole number from -9007199254740991 to 9007199254740991") || !strings.Contains(err.Error(), "string input") {
			t.Errorf("%v: %v, want it refused, not rounded", v, err)
		}
	}
	// The same through Coerce: a YAML int, a JSON number, a float64 from
	// a JSON body.
	for _, v := range []any{int64(9007199254740993), json.Number("9007199254740993"), float64(9007199254740992)} {
		if _, err := in.Coerce(v); err == nil || !strings.Contains(err.Error(), "want a whole number from") {
			t.Errorf("%T %v: %v, want it refused", v, v, err)
		}
	}
	if v, err := in.Coerce(json.Number("9007199254740991")); err != nil || v != 9007199254740991 {
		t.Errorf("json.Number 2^53-1: %v %v", v, err)
	}
}

// TestIntegerInputTooLargeQuotesWhatWasTyped: a whole number past the
// range is quoted as given, not as the float64 it rounds to
// (99999999999999999999 was reported as 100000000000000000000).
func TestIntegerInputTooLargeQuotesWhatWasTyped(t *testing.T) {
	in := &Input{Name: "n", Type: InputInteger}
	for _, s := range []string{"99999999999999999999", "-99999999999999999999", "9007199254740993", "1e30"} {
		_, err := in.Parse(s)
		want := `want a whole number from -9007199254740991 to 9007199254740991 (kept exactly in reports), got "` + s + `"`
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: %v, want %q", s, err, want)
		}
	}
}
