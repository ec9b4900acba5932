package exprsafe

import "testing"

type fakeStep struct{ Status string }

// TestTypeNamesNoGoType: type() names every value a playbook meets by
// expr's documented names, or by time, duration and timezone, never by a
// Go type's path.
func TestTypeNamesNoGoType(t *testing.T) {
	env := map[string]any{
		"step": fakeStep{Status: "succeeded"}, "ptr": &fakeStep{},
		"u": map[string]any{"l": []any{1}, "m": map[string]any{}, "i": int64(1), "f": 1.5},
	}
	for src, want := range map[string]string{
		`type(step)`:               "map",
		`type(ptr)`:                "map",
		`type(u.m)`:                "map",
		`type(u.l)`:                "array",
		`type(u.i)`:                "int",
		`type(u.f)`:                "float",
		`type("x")`:                "string",
		`type(true)`:               "bool",
		`type(u.missing)`:          "nil",
		`type(now())`:              "time",
		`type(duration("1s"))`:     "duration",
		`type(timezone("UTC"))`:    "timezone",
		`type(u.l) == "array"`:     "",
		`type(step) + "/" + "x"`:   "map/x",
		`type(date("2020-01-01"))`: "time",
	} {
		out, err := run(t, src, env)
		if err != nil {
			t.Errorf("%s: %v", src, err)
			continue
		}
		if b, ok := out.(bool); ok {
			if !b {
				t.Errorf("%s is false", src)
			}
			continue
		}
		if out != want {
			t.Errorf("%s = %#v, want %q", src, out, want)
		}
	}
}
