package termtext

import "testing"

func TestTrailingCut(t *testing.T) {
	for _, tc := range []struct {
		in      string
		n, size int
		ok      bool
	}{
		{"line" + CutNote(49152), 49152, len(CutNote(49152)), true},
		{CutNote(0), 0, len(CutNote(0)), true},
		{"line …[12 bytes cut] more", 0, 0, false},
		{"line …[ bytes cut]", 0, 0, false},
		{"line …[1x2 bytes cut]", 0, 0, false},
		{"line …[-3 bytes cut]", 0, 0, false},
		{"line …[99999999999999999999 bytes cut]", 0, 0, false},
		{"line bytes cut]", 0, 0, false},
	} {
		n, size, ok := TrailingCut(tc.in)
		if n != tc.n || size != tc.size || ok != tc.ok {
			t.Errorf("TrailingCut(%q) = %d, %d, %v; want %d, %d, %v", tc.in, n, size, ok, tc.n, tc.size, tc.ok)
		}
	}
	if got := len(CutNote(1<<62 + 1)); got > CutNoteMax {
		t.Errorf("a note of %d bytes is longer than CutNoteMax %d", got, CutNoteMax)
	}
}
