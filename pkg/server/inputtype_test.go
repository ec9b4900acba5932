package server

import "testing"

// An input of the wrong type says what a value of its type looks like,
// not only that it is wrong: "want an integer, got a string" left the
// caller to guess, where a number written in quotes was told to drop them.
func TestInputOfWrongTypeSaysWhatToSend(t *testing.T) {
	ts := newTestServer(t)
	for _, c := range []struct {
		inputs map[string]any
		field  string
		want   string
	}{
		{map[string]any{"who": 5}, "inputs.who", "inputs: who: want a string, got a number; quote it to give it as text"},
		{map[string]any{"who": true}, "inputs.who", "inputs: who: want a string, got a bool; quote it to give it as text"},
		{map[string]any{"who": []any{"a"}}, "inputs.who", `inputs: who: want a string, got a list; give text, like "value"`},
		{map[string]any{"times": "five"}, "inputs.times", "inputs: times: want an integer, got a string; give a whole number, like 3"},
		{map[string]any{"times": map[string]any{"n": 1}}, "inputs.times", "inputs: times: want an integer, got a map; give a whole number, like 3"},
		// A number in quotes keeps its own advice.
		{map[string]any{"times": "3"}, "inputs.times", "inputs: times: want an integer, got a string; write the number unquoted"},
	} {
		e := ts.post("operator", "/api/v1/playbooks/hello/runs", map[string]any{"inputs": c.inputs}).wantError(t, 400, ClassValidation)
		if e["field"] != c.field || e["message"] != c.want {
			t.Errorf("%v: field %v, message %q; want %s, %q", c.inputs, e["field"], e["message"], c.field, c.want)
		}
	}
}
