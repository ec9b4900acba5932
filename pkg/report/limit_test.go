package report

import (
	"encoding/json"
	"math"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"
)

func TestCapString(t *testing.T) {
	if got := CapString("short", 100); got != "short" {
		t.Errorf("short string changed: %q", got)
	}
	if got := CapString("a\xffb", 100); got != "a\uFFFDb" {
		t.Errorf("invalid UTF-8: %q", got)
	}
	long := strings.Repeat("é", 1000) // 2000 bytes
	for _, limit := range []int{99, 100, 101} {
		got := CapString(long, limit)
		if !utf8.ValidString(got) {
			t.Errorf("limit %d: cut inside a rune", limit)
		}
		if !strings.Contains(got, "…[cut ") || !strings.HasPrefix(got, "é") || !strings.HasSuffix(got, "é") {
			t.Errorf("limit %d: %q", limit, got)
		}
		head, _, _ := strings.Cut(got, "\n…[cut ")
		if len(head) > limit/2 {
			t.Errorf("limit %d: head of %d bytes", limit, len(head))
		}
	}
}

func TestCapBoundsData(t *testing.T) {
	items := make([]any, MaxItems+5)
	got := Cap(map[string]any{"l": items, "s": strings.Repeat("x", MaxString+10)}).(map[string]any)
	if n := len(got["l"].([]any)); n != MaxItems+1 {
		t.Errorf("list kept %d entries, want %d and a marker", n, MaxItems)
	}
	if s := got["s"].(string); len(s) > MaxString+64 {
		t.Errorf("string of %d bytes kept", len(s))
	}
}

// TestCapMakesNonFiniteNumbersStrings: +Inf, -Inf and NaN, at any depth and
// of any float type, become the documented strings, so the report encodes.
func TestCapMakesNonFiniteNumbersStrings(t *testing.T) {
	in := map[string]any{
		"inf":    math.Inf(1),
		"neg":    math.Inf(-1),
		"nan":    math.NaN(),
		"f32":    float32(math.Inf(1)),
		"list":   []any{1.5, math.Inf(1)},
		"floats": []float64{math.NaN(), 2},
		"nested": map[string]any{"deep": []any{map[string]any{"x": math.Inf(-1)}}},
	}
	got := Cap(in)
	want := map[string]any{
		"inf":    "+Inf",
		"neg":    "-Inf",
		"nan":    "NaN",
		"f32":    "+Inf",
		"list":   []any{1.5, "+Inf"},
		"floats": []any{"NaN", 2.0},
		"nested": map[string]any{"deep": []any{map[string]any{"x": "-Inf"}}},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Cap (-want +got):\n%s", diff)
	}
	if _, err := json.Marshal(got); err != nil {
		t.Errorf("the capped value does not encode: %v", err)
	}
}

// TestCapStringCountsEarlierCut: a shell step's stdout already cut to its
// max_output, cut again to the report's limit, says how much of what the
// process printed is missing: the 6 MB the step dropped as well as what
// the report dropped of the rest, not the latter alone.
func TestCapStringCountsEarlierCut(t *testing.T) {
	half := strings.Repeat("line of the build output\n", 20_000) // 500,000 bytes
	s := half + "\n[... 6000000 bytes truncated ...]\n" + half
	got := CapString(s, MaxString)
	head, rest, ok := strings.Cut(got, "\n…[cut ")
	if !ok {
		t.Fatalf("no marker in %d bytes", len(got))
	}
	n, _, _ := strings.Cut(rest, " bytes]…\n")
	tail := rest[len(n)+len(" bytes]…\n"):]
	want := len(s) - len(head) - len(tail) - len("\n[... 6000000 bytes truncated ...]\n") + 6000000
	if n != strconv.Itoa(want) {
		t.Errorf("the marker says %s bytes cut, want %d (the step's own cut counted)", n, want)
	}
}

// TestCutBeforeCountsEachNoteOnce checks how the notes of earlier cuts
// are counted: each with the newlines around it, a newline between two
// notes counted once, text that only looks like a note not at all.
func TestCutBeforeCountsEachNoteOnce(t *testing.T) {
	note := func(n int) string { return "[... " + strconv.Itoa(n) + " bytes truncated ...]" }
	for _, c := range []struct {
		middle string
		want   int
	}{
		{"no note here", 0},
		{"a\n" + note(100) + "\nb", 100 - len(note(100)) - 2},
		{note(5), 5 - len(note(5))},
		{"\n" + note(10) + "\n\n" + note(20) + "\n", 30 - len(note(10)) - len(note(20)) - 4},
		{note(10) + "\n" + note(20), 30 - len(note(10)) - len(note(20)) - 1},
		{"[... [... x\n" + note(7) + "]", 7 - len(note(7)) - 1},
		{"\n[... 99999999999999999999 bytes truncated ...]\n", 0},
	} {
		if got := cutBefore(c.middle); got != c.want {
			t.Errorf("cutBefore(%q) = %d, want %d", c.middle, got, c.want)
		}
	}
}
