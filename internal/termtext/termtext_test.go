package termtext

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestClean(t *testing.T) {
	for _, tc := range []struct{ name, in, want string }{
		{"plain text is kept", "Restart 3 workers? ✓ ok", "Restart 3 workers? ✓ ok"},
		{"newlines and tabs are kept", "a\n\tb", "a\n\tb"},
		{"colour", "\x1b[31mred\x1b[0m", "red"},
		{"cursor moves and erase", "Delete nothing?\x1b[2K\x1b[1A\rDelete everything?", "Delete nothing?Delete everything?"},
		{"window title by OSC with BEL", "\x1b]0;pwned\x07after", "after"},
		{"hyperlink by OSC with ST", "\x1b]8;;http://x\x1b\\link\x1b]8;;\x1b\\", "link"},
		{"unterminated OSC runs to the end", "before\x1b]0;title", "before"},
		{"OSC cut by a CSI", "\x1b]0;t\x1b[31mred", "red"},
		{"DCS", "\x1bPq#0;2;0;0;0\x1b\\x", "x"},
		{"two-byte escapes", "\x1b7\x1b(Bx\x1bc", "x"},
		{"8-bit CSI", "a\u009b31mb", "ab"},
		{"8-bit OSC ended by 8-bit ST", "a\u009d0;t\u009cb", "ab"},
		{"carriage return, backspace, bell, DEL", "yes\r\bno\x07\x7f", "yesno"},
		{"bidirectional override", "file\u202Etxt.exe", "filetxt.exe"},
		{"invalid UTF-8", "a\xffb", "a\uFFFDb"},
		{"lone ESC at the end", "a\x1b", "a"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, Clean(tc.in)); diff != "" {
				t.Errorf("Clean(%q) (-want +got):\n%s", tc.in, diff)
			}
		})
	}
}

func TestLine(t *testing.T) {
	if got, want := Line("a\nb\tc\x1b[1m"), "a b c"; got != want {
		t.Errorf("Line = %q, want %q", got, want)
	}
}

func TestHead(t *testing.T) {
	for _, tc := range []struct {
		s    string
		n    int
		want string
	}{
		{"short", 10, "short"},
		{"abcdef", 3, "abc"},
		{"aé", 2, "a"}, // é is two bytes: not cut in half
		{"éé", 0, ""},
	} {
		if got := Head(tc.s, tc.n); got != tc.want {
			t.Errorf("Head(%q, %d) = %q, want %q", tc.s, tc.n, got, tc.want)
		}
	}
}
