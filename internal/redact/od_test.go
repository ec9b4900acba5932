package redact

import (
	"fmt"
	"strings"
	"testing"
)

// odSecret is the secret the od -c tests print.
const odSecret = "Zq9-Xt7!pW#4mKe2"

// odC writes data as od -c does: 16 bytes a row (width), after an offset
// in base (8, 10 or 16, 0 for -An), and the offset alone at the end.
func odC(data string, base, width int) string {
	var b strings.Builder
	offset := func(n int) {
		switch base {
		case 8:
			fmt.Fprintf(&b, "%07o", n)
		case 10:
			fmt.Fprintf(&b, "%07d", n)
		case 16:
			fmt.Fprintf(&b, "%06x", n)
		}
	}
	for i := 0; i < len(data); i += width {
		offset(i)
		for _, c := range []byte(data[i:min(i+width, len(data))]) {
			switch {
			case c == '\n':
				b.WriteString("  \\n")
			case c == '\t':
				b.WriteString("  \\t")
			case c == 0:
				b.WriteString("  \\0")
			case c >= ' ' && c < 0x7f:
				fmt.Fprintf(&b, "   %c", c)
			default:
				fmt.Fprintf(&b, " %03o", c)
			}
		}
		b.WriteString("\n")
	}
	if base != 0 {
		offset(len(data))
		b.WriteString("\n")
	}
	return b.String()
}

// TestODCAsODWritesIt checks odC against od's own output.
func TestODCAsODWritesIt(t *testing.T) {
	data := "ab\x01\\ \t\303\244Zq9-Xt7!pW#4mKe2 tail\n"
	for _, c := range []struct {
		base, width int
		want        string
	}{
		{8, 16, "0000000   a   b 001   \\      \\t 303 244   Z   q   9   -   X   t   7   !\n" +
			"0000020   p   W   #   4   m   K   e   2       t   a   i   l  \\n\n0000036\n"},
		{0, 16, "   a   b 001   \\      \\t 303 244   Z   q   9   -   X   t   7   !\n" +
			"   p   W   #   4   m   K   e   2       t   a   i   l  \\n\n"},
		{16, 8, "000000   a   b 001   \\      \\t 303 244\n000008   Z   q   9   -   X   t   7   !\n" +
			"000010   p   W   #   4   m   K   e   2\n000018       t   a   i   l  \\n\n00001e\n"},
	} {
		if got := odC(data, c.base, c.width); got != c.want {
			t.Errorf("odC(base %d, width %d) =\n%s\nod writes\n%s", c.base, c.width, got, c.want)
		}
	}
}

// TestMaskODRows checks that a secret printed by od -c, od -An -c, od -A x
// and od -A d -w8 is masked wherever it starts in a row: in the whole
// output, as a report holds it, and a row with the rows around it, as
// the live output masks it (Continues holds each row). Each of its
// bytes' cells shows '*', the columns stay in place and the other bytes
// are left.
func TestMaskODRows(t *testing.T) {
	r := New(odSecret)
	var pieces []string // each 3 characters of the secret as od shows them
	for i := 0; i+3 <= len(odSecret); i++ {
		pieces = append(pieces, strings.Join(strings.Split(odSecret[i:i+3], ""), "   "))
	}
	for _, f := range []struct{ base, width int }{{8, 16}, {0, 16}, {16, 16}, {10, 8}} {
		for pre := 0; pre <= 20; pre++ {
			out := odC(strings.Repeat("\t", pre)+odSecret+" tail\n", f.base, f.width)
			lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
			var live []string
			for i, l := range lines {
				if !Continues(l) && (f.base == 0 || i < len(lines)-1) {
					t.Errorf("od %v: Continues(%q) = false", f, l)
				}
				window := l
				if i > 0 {
					window = lines[i-1] + "\n" + window
				}
				if i+1 < len(lines) {
					window += "\n" + lines[i+1]
				}
				masked := strings.Split(r.String(window), "\n")
				live = append(live, masked[min(i, 1)])
			}
			for what, got := range map[string]string{"whole": r.String(out), "live": strings.Join(live, "\n") + "\n"} {
				for _, p := range pieces {
					if strings.Contains(got, p) {
						t.Errorf("od %v, %d bytes before, %s: %q shows:\n%s", f, pre, what, p, got)
						break
					}
				}
				if len(got) != len(out) || strings.Count(got, "*") != len(odSecret) {
					t.Errorf("od %v, %d bytes before, %s: the columns moved or the other bytes went:\n%s", f, pre, what, got)
				}
			}
		}
	}
}

// TestMaskXXDRowStartingWithSpaces: a row of xxd whose bytes start with
// spaces, so that its text column does, is read as a row, and its piece
// of the secret masked.
func TestMaskXXDRowStartingWithSpaces(t *testing.T) {
	r := New(odSecret)
	out := "00000000: 2020 2020 2020 2020 2020 5a71 392d 5874            Zq9-Xt\n" +
		"00000010: 3721 7057 2334 6d4b 6532 2072 6573 740a  7!pW#4mKe2 rest.\n"
	want := "00000000: 2020 2020 2020 2020 2020 **** **** ****            ******\n" +
		"00000010: **** **** **** **** **** 2072 6573 740a  ********** rest.\n"
	if got := r.String(out); got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
	one := "00000000: 205a 7139 2d58 7437 2170 5723 346d 4b65   Zq9-Xt7!pW#4mKe\n"
	if got := r.String(one); strings.Contains(got, "Zq9-") {
		t.Errorf("a row alone shows the secret:\n%s", got)
	}
}

// TestODRowsFalsePositives: text that is laid out like od -c rows but
// holds no piece of a secret, and text that is not od's, pass as they
// are.
func TestODRowsFalsePositives(t *testing.T) {
	r := New(odSecret, "Pa$$w0rd-zz9")
	for _, text := range []string{
		odC("Zq9 is not the secret; neither is Xt7!pW\n", 8, 16),
		odC("Zq9", 0, 16), // fewer than MinDumpPiece of its bytes
		"   1   2   3   4   5   6   7   8\n   9  10  11  12  13  14  15  16\n",
		"  name: build\n    image: golang:1.24\n  at com.example.Service.handle(Service.java:42)\n",
		"Z q 9 - X t 7 ! p W # 4 m K e 2\n",
		"Z   q   9   -   X   t   7   !   p   W   #   4   m   K   e   2\n",
		"0000000 Zq9-Xt7!\n",
		"    \n        \n",
	} {
		if got := r.String(text); got != text {
			t.Errorf("%q became %q", text, got)
		}
	}
}

// TestMaskODA checks that a secret printed by od -a, which names control
// characters and spaces ("  ht", "  sp") and writes a byte past ASCII as
// its low seven bits, is masked in its cells, whole and row by row, and
// that a secret with non-ASCII bytes is found in them too.
func TestMaskODA(t *testing.T) {
	r := New(odSecret, "Zq9-Xt7!pW#4mK\u00e9e2")
	// printf 'xxxxxxxxxxxxxZq9-Xt7!pW#4mKe2\tend\n' | od -a
	out := "0000000   x   x   x   x   x   x   x   x   x   x   x   x   x   Z   q   9\n" +
		"0000020   -   X   t   7   !   p   W   #   4   m   K   e   2  ht   e   n\n" +
		"0000040   d  nl\n" +
		"0000042\n"
	want := "0000000   x   x   x   x   x   x   x   x   x   x   x   x   x   *   *   *\n" +
		"0000020   *   *   *   *   *   *   *   *   *   *   *   *   *  ht   e   n\n" +
		"0000040   d  nl\n" +
		"0000042\n"
	if got := r.String(out); got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
	lines := strings.SplitAfter(out, "\n")
	if got := r.String(lines[1]); strings.Contains(got, "4   m   K") {
		t.Errorf("a row alone shows the secret:\n%s", got)
	}
	// printf 'ab\xc3\xa9Zq9-Xt7!pW#4mK\xc3\xa9e2 end' | od -An -a
	wide := "   a   b   C   )   Z   q   9   -   X   t   7   !   p   W   #   4\n" +
		"   m   K   C   )   e   2  sp   e   n   d\n"
	wantWide := "   a   b   C   )   *   *   *   *   *   *   *   *   *   *   *   *\n" +
		"   *   *   *   *   *   *  sp   e   n   d\n"
	if got := r.String(wide); got != wantWide {
		t.Errorf("got\n%s\nwant\n%s", got, wantWide)
	}
}
