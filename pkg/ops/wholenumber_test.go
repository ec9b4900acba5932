package ops

import (
	"encoding/json"
	"testing"
)

func TestWholeNumber(t *testing.T) {
	for _, tc := range []struct {
		in   any
		want int
		ok   bool
	}{
		{3, 3, true},
		{int64(-7), -7, true},
		{float64(42), 42, true},
		{json.Number("1234"), 1234, true},
		{2.5, 0, false},
		{json.Number("2.5"), 0, false},
		{"3", 0, false},
		{nil, 0, false},
	} {
		got, ok := WholeNumber(tc.in)
		if got != tc.want || ok != tc.ok {
			t.Errorf("WholeNumber(%#v) = %d, %v; want %d, %v", tc.in, got, ok, tc.want, tc.ok)
		}
	}
}
