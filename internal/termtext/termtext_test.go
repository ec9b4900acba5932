package termtext

import "testing"

func TestSafe(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"plain text", "plain text"},
		{"tab\tok", "tab\tok"},
		{"two\nlines", `two\nlines`},
		{"red \x1b[31mtext\x1b[0m", "red text"},
		{"title \x1b]0;owned\x07done", "title done"},
		{"osc st \x1b]8;;http://x\x1b\\link\x1b]8;;\x1b\\", "osc st link"},
		{"clear \x1b[2J\x1b[Hscreen", "clear screen"},
		{"reset \x1bcnow", "reset now"},
		{"bell\x07 and nul\x00", `bell\x07 and nul\x00`},
		{"c1 csi \u009b31mx", "c1 csi 31mx"},
		{"utf8 ✓ é", "utf8 ✓ é"},
		{"bad \xff byte", `bad \xff byte`},
		{"cut \x1b[", "cut "},
	} {
		if got := Safe(tc.in); got != tc.want {
			t.Errorf("Safe(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
	if got := SafeLines("a\nb\x1b[2K"); got != "a\nb" {
		t.Errorf("SafeLines = %q", got)
	}
}
