package capture

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"strings"
	"sync"
	"testing"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"
)

// naive keeps everything and computes what Buffer should hold.
func naive(all []byte, limit int) ([]byte, int64) {
	if len(all) <= limit {
		return all, 0
	}
	half := limit / 2
	tail := limit - half
	dropped := int64(len(all) - limit)
	out := append([]byte{}, all[:half]...)
	out = fmt.Appendf(out, "\n[... %d bytes truncated ...]\n", dropped)
	return append(out, all[len(all)-tail:]...), dropped
}

func TestBufferKeepsHeadAndTail(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for trial := range 500 {
		limit := 2 + rng.IntN(64)
		b := NewBuffer(limit)
		var all []byte
		for range rng.IntN(20) {
			chunk := make([]byte, rng.IntN(3*limit))
			for i := range chunk {
				chunk[i] = byte('a' + rng.IntN(26))
			}
			if n, err := b.Write(chunk); n != len(chunk) || err != nil {
				t.Fatalf("Write = %d, %v", n, err)
			}
			all = append(all, chunk...)
		}
		want, dropped := naive(all, limit)
		if diff := cmp.Diff(string(want), string(b.Bytes())); diff != "" {
			t.Fatalf("trial %d, limit %d, %d bytes written (-want +got):\n%s", trial, limit, len(all), diff)
		}
		if b.Dropped() != dropped || b.Truncated() != (dropped > 0) {
			t.Fatalf("trial %d: dropped %d truncated %v, want %d", trial, b.Dropped(), b.Truncated(), dropped)
		}
	}
}

func TestText(t *testing.T) {
	tests := []struct{ in, want string }{
		{"plain\ttext\n", "plain\ttext\n"},
		{"\x1b[1;31mred\x1b[0m", "red"},
		{"\x1b]0;window title\x07after", "after"},
		{"\x1b]8;;http://x\x1b\\link\x1b]8;;\x1b\\", "link"},
		{"\x1b(Bcharset", "charset"},
		{"\x1bPdevice control\x1b\\z", "z"},
		{"cr\r\nbell\x07nul\x00del\x7f", "cr\nbellnuldel"},
		{"bad \xff\xfe bytes", "bad \uFFFD\uFFFD bytes"},
		{"8-bit csi \u009b31m", "8-bit csi 31m"},
		{"héllo wörld ✓", "héllo wörld ✓"},
		{"cut rune \xe2\x9c", "cut rune \uFFFD\uFFFD"},
		{"trailing escape \x1b", "trailing escape "},
		{"unterminated \x1b[12", "unterminated "},
		{"link \x1b]8;;http://x\nnext line\n", "link \nnext line\n"},
		{"title \x1b]0;cut short\x1b[31mred", "title red"},
	}
	for _, tc := range tests {
		got := Text([]byte(tc.in))
		if got != tc.want {
			t.Errorf("Text(%q) = %q, want %q", tc.in, got, tc.want)
		}
		if !utf8.ValidString(got) {
			t.Errorf("Text(%q) is not valid UTF-8", tc.in)
		}
	}
}

// TestCutInsideAnEscapeKeepsTheTail: when max_output cuts through a
// hyperlink's escape sequence, the note of the cut and the tail, which
// holds the error, are still there.
func TestCutInsideAnEscapeKeepsTheTail(t *testing.T) {
	b := NewBuffer(128)
	fmt.Fprintf(b, "%s\x1b]8;;https://gcc.gnu.org/onlinedocs/gcc/Warning-Options.html\x1b\\-Wunused\x1b]8;;\x1b\\\n", strings.Repeat("w", 50))
	fmt.Fprint(b, strings.Repeat("warning: unused variable\n", 20), "error: disk full\n")
	got := b.Text()
	if !strings.Contains(got, "bytes truncated ...]") || !strings.HasSuffix(got, "\nerror: disk full\n") {
		t.Errorf("Text() = %q, want the note of the cut and the tail", got)
	}
}

// TestCutKeepsWholeCharacters: wherever max_output cuts UTF-8 text, each
// side of the note keeps whole characters (no U+FFFD beside it), and the
// bytes of a character cut in two are counted in the note.
func TestCutKeepsWholeCharacters(t *testing.T) {
	for _, ch := range []string{"é", "✓", "😀"} {
		for _, prefix := range []string{"", "a", "ab", "abc"} {
			text := prefix + strings.Repeat(ch, 40)
			for limit := 8; limit <= 40; limit++ {
				b := NewBuffer(limit)
				b.Write([]byte(text))
				got := b.Text()
				head, tail, ok := strings.Cut(got, "\n[... ")
				if !ok || strings.ContainsRune(got, utf8.RuneError) {
					t.Fatalf("%q cut to %d: %q, want the note and no U+FFFD", text, limit, got)
				}
				note, tail, _ := strings.Cut(tail, " bytes truncated ...]\n")
				if n := fmt.Sprint(len(text) - len(head) - len(tail)); note != n {
					t.Fatalf("%q cut to %d: %q says %s bytes were cut, want %s", text, limit, got, note, n)
				}
			}
		}
	}
}

func FuzzText(f *testing.F) {
	f.Add([]byte("\x1b[31mx\xff\r\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		s := Text(b)
		if !utf8.ValidString(s) {
			t.Fatalf("not valid UTF-8: %q", s)
		}
		for _, r := range s {
			if (r < 0x20 && r != '\n' && r != '\t') || r == 0x7f || (r >= 0x80 && r <= 0x9f) {
				t.Fatalf("control character %U left in %q", r, s)
			}
		}
		if _, err := json.Marshal(s); err != nil {
			t.Fatal(err)
		}
	})
}

func TestLineWriter(t *testing.T) {
	var out bytes.Buffer
	mask := strings.NewReplacer("secret", "***").Replace
	w := NewLineWriter(&out, &sync.Mutex{}, mask)
	for _, chunk := range []string{"fir", "st\nsec", "ond secret\n\x1b[1mthird", ""} {
		w.Write([]byte(chunk))
	}
	w.Flush()
	if diff := cmp.Diff("first\nsecond ***\nthird\n", out.String()); diff != "" {
		t.Errorf("lines (-want +got):\n%s", diff)
	}
	out.Reset()
	w.Write(bytes.Repeat([]byte("x"), maxLine+10))
	w.Flush()
	if want := strings.Repeat("x", maxLine) + " …[10 bytes cut]\n"; out.String() != want {
		t.Errorf("a very long line: %d bytes, %d lines; want its head and a note of the cut", out.Len(), strings.Count(out.String(), "\n"))
	}
}

// TestLongLineHidesASecretAcrossTheCut checks that a secret that a long
// line's cut goes through shows no part of it: the line is masked whole
// before it is cut, and its rest is not passed on as lines of its own,
// however it is written.
func TestLongLineHidesASecretAcrossTheCut(t *testing.T) {
	const secret = "S3CRET-abcdefghijklmnop"
	mask := strings.NewReplacer(secret, "***").Replace
	line := strings.Repeat("x", maxLine-5) + secret + strings.Repeat("y", 3*maxLine) + "\nnext\n"
	for _, chunk := range []int{1 << 10, 7, maxLine + 3} {
		var out bytes.Buffer
		w := NewLineWriter(&out, nil, mask)
		for rest := line; rest != ""; {
			n := min(chunk, len(rest))
			w.Write([]byte(rest[:n]))
			rest = rest[n:]
		}
		w.Flush()
		got := out.String()
		for _, part := range []string{"S3CR", "abcd", "mnop"} {
			if strings.Contains(got, part) {
				t.Errorf("writes of %d bytes: part %q of the secret shows", chunk, part)
			}
		}
		if lines := strings.Split(strings.TrimSuffix(got, "\n"), "\n"); len(lines) != 2 || lines[1] != "next" ||
			!strings.HasSuffix(lines[0], fmt.Sprintf(" …[%d bytes cut]", len(secret)+3*maxLine-5)) {
			t.Errorf("writes of %d bytes: %d lines, the first ending %q", chunk, len(lines), lines[0][max(len(lines[0])-40, 0):])
		}
	}
}

func TestLastLines(t *testing.T) {
	tests := []struct {
		in     string
		n, max int
		want   string
	}{
		{"a\nb\n\nc\nd\n", 2, 100, "c\nd"},
		{"one line", 5, 100, "one line"},
		{"", 5, 100, ""},
		{"abcdefghij", 1, 4, "...ghij"},
	}
	for _, tc := range tests {
		if got := LastLines(tc.in, tc.n, tc.max); got != tc.want {
			t.Errorf("LastLines(%q, %d, %d) = %q, want %q", tc.in, tc.n, tc.max, got, tc.want)
		}
	}
}

// A secret that crosses either edge of the dropped bytes leaves no piece in
// what is kept: masking comes after the cut and would find neither half.
func TestGuardDropsPiecesOfSecretsAtTheCut(t *testing.T) {
	const secret = "ghp_ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789abcd"
	for _, tc := range []struct {
		name, text string
	}{
		{"both edges", "xxxxxxxxxx" + secret + strings.Repeat("y", 36) + secret + "zzzzzzzzzz"},
		{"head edge", "xxxxxxxxxx" + secret + strings.Repeat("y", 200)},
		{"tail edge", strings.Repeat("y", 200) + secret + "zzzzzzzzzz"},
		{"base64 form", "xxxxxxxxxx" + base64.StdEncoding.EncodeToString([]byte(secret)) + strings.Repeat("y", 200)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := NewBuffer(64)
			b.Guard([]string{secret})
			b.Write([]byte(tc.text))
			got := string(b.Bytes())
			for _, piece := range []string{secret[:8], secret[len(secret)-8:], base64.StdEncoding.EncodeToString([]byte(secret))[:8]} {
				if strings.Contains(got, piece) {
					t.Errorf("kept %q, which holds %q of the secret", got, piece)
				}
			}
			// What is left out is counted in the line that says so.
			var dropped int
			fmt.Sscanf(got[strings.Index(got, "[... "):], "[... %d bytes truncated ...]", &dropped)
			kept := len(got) - len(fmt.Sprintf("\n[... %d bytes truncated ...]\n", dropped))
			if kept+dropped != len(tc.text) {
				t.Errorf("kept %d and dropped %d bytes of %d", kept, dropped, len(tc.text))
			}
		})
	}
	// Without secrets, or with none at the cut, the edges are as they were.
	b := NewBuffer(64)
	b.Guard([]string{secret})
	text := strings.Repeat("x", 100) + secret
	b.Write([]byte(text))
	want, _ := naive([]byte(text), 64)
	if got := b.Bytes(); string(got) == string(want) {
		t.Errorf("a secret at the tail's start was kept: %q", got)
	}
	b = NewBuffer(64)
	b.Guard([]string{secret})
	text = strings.Repeat("x", 100) + "-" + strings.Repeat("z", 100)
	b.Write([]byte(text))
	if want, _ := naive([]byte(text), 64); string(b.Bytes()) != string(want) {
		t.Errorf("Bytes = %q, want %q", b.Bytes(), want)
	}
}
