package suggest

import "testing"

// TestNumberFrom: the call suggested is one int() and float() accept for
// the text given (they read it with strconv as it is), and none is
// suggested for text that holds no number.
func TestNumberFrom(t *testing.T) {
	for _, c := range []struct {
		v     any
		whole bool
		want  string
		ok    bool
	}{
		{nil, true, "int(trim(x))", true},
		{nil, false, "float(trim(x))", true},
		{"3", true, "int(x)", true},
		{"3\n", true, "int(trim(x))", true},
		{"3.0", true, "int(float(x))", true},
		{" 3.0", true, "int(float(trim(x)))", true},
		{"2.5", true, "", false},
		{"2.5", false, "float(x)", true},
		{"2.5\n", false, "float(trim(x))", true},
		{"90%", false, "", false},
		{"", false, "", false},
	} {
		got, ok := NumberFrom("x", c.whole, c.v)
		if got != c.want || ok != c.ok {
			t.Errorf("NumberFrom(x, %v, %q) = %q, %v; want %q, %v", c.whole, c.v, got, ok, c.want, c.ok)
		}
	}
}
