package udiff

import (
	"fmt"
	"math/rand"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestUnifiedGolden(t *testing.T) {
	tests := []struct {
		name, a, b, want string
	}{
		{"equal", "x\n", "x\n", ""},
		{"new file", "", "a\nb\n", "--- A\n+++ B\n@@ -0,0 +1,2 @@\n+a\n+b\n"},
		{"emptied", "a\n", "", "--- A\n+++ B\n@@ -1 +0,0 @@\n-a\n"},
		{"one line changed in the middle",
			"1\n2\n3\n4\n5\n6\n7\n8\n9\n",
			"1\n2\n3\n4\nFIVE\n6\n7\n8\n9\n",
			"--- A\n+++ B\n@@ -2,7 +2,7 @@\n 2\n 3\n 4\n-5\n+FIVE\n 6\n 7\n 8\n"},
		{"two hunks",
			"a\n1\n2\n3\n4\n5\n6\n7\n8\n9\nb\n",
			"A\n1\n2\n3\n4\n5\n6\n7\n8\n9\nB\n",
			"--- A\n+++ B\n@@ -1,4 +1,4 @@\n-a\n+A\n 1\n 2\n 3\n@@ -8,4 +8,4 @@\n 7\n 8\n 9\n-b\n+B\n"},
		{"missing newline at the end",
			"a\nb", "a\nb\n",
			"--- A\n+++ B\n@@ -1,2 +1,2 @@\n a\n-b\n\\ No newline at end of file\n+b\n"},
	}
	for _, tc := range tests {
		if diff := cmp.Diff(tc.want, Unified("A", "B", tc.a, tc.b, 3, 0)); diff != "" {
			t.Errorf("%s (-want +got):\n%s", tc.name, diff)
		}
	}
}

var hunkRE = regexp.MustCompile(`^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@$`)

// apply applies a unified diff to a, checking every context and removed
// line, and returns the result.
func apply(t *testing.T, a, diff string) string {
	t.Helper()
	src := splitLines(a)
	lines := strings.SplitAfter(diff, "\n")
	if len(lines) < 2 || !strings.HasPrefix(lines[0], "--- ") || !strings.HasPrefix(lines[1], "+++ ") {
		t.Fatalf("bad header in\n%s", diff)
	}
	var out []string
	pos := 0
	var pending string
	for i := 2; i < len(lines); i++ {
		l := lines[i]
		if l == "" {
			continue
		}
		if m := hunkRE.FindStringSubmatch(strings.TrimSuffix(l, "\n")); m != nil {
			start, _ := strconv.Atoi(m[1])
			if m[2] != "0" {
				start--
			}
			for pos < start {
				out = append(out, src[pos])
				pos++
			}
			continue
		}
		body := l[1:]
		if i+1 < len(lines) && lines[i+1] == "\\ No newline at end of file\n" {
			body += lines[i+1]
			i++
		}
		pending = body
		switch l[0] {
		case ' ', '-':
			if pos >= len(src) || src[pos] != pending {
				t.Fatalf("line %d: diff says %q, text has %q", pos+1, pending, at(src, pos))
			}
			if l[0] == ' ' {
				out = append(out, src[pos])
			}
			pos++
		case '+':
			out = append(out, pending)
		default:
			t.Fatalf("bad diff line %q", l)
		}
	}
	out = append(out, src[pos:]...)
	s := strings.Join(out, "")
	return strings.ReplaceAll(s, "\n\\ No newline at end of file\n", "")
}

func at(l []string, i int) string {
	if i < len(l) {
		return l[i]
	}
	return "<end>"
}

// lcs is the length of the longest common subsequence, for checking that a
// diff is minimal.
func lcs(a, b []string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for i := range a {
		for j := range b {
			switch {
			case a[i] == b[j]:
				cur[j+1] = prev[j] + 1
			case prev[j+1] > cur[j]:
				cur[j+1] = prev[j+1]
			default:
				cur[j+1] = cur[j]
			}
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

func TestUnifiedAppliesAndIsMinimal(t *testing.T) {
	rng := rand.New(rand.NewSource(1))
	text := func(n int) string {
		var b strings.Builder
		for i := 0; i < n; i++ {
			fmt.Fprintf(&b, "%c\n", 'a'+rng.Intn(4))
		}
		if rng.Intn(5) == 0 {
			b.WriteString("tail")
		}
		return b.String()
	}
	for i := 0; i < 500; i++ {
		a, b := text(rng.Intn(40)), text(rng.Intn(40))
		d := Unified("a", "b", a, b, rng.Intn(4), 0)
		if a == b {
			if d != "" {
				t.Fatalf("equal texts gave a diff")
			}
			continue
		}
		if got := apply(t, a, d); got != b {
			t.Fatalf("applying\n%s\nto %q gave %q, want %q", d, a, got, b)
		}
		la, lb := splitLines(a), splitLines(b)
		removed := strings.Count(d, "\n-") - strings.Count(d, "\n--- ")
		if want := len(la) - lcs(la, lb); removed != want {
			t.Fatalf("diff removes %d lines, a minimal one %d:\n%s", removed, want, d)
		}
	}
}

func TestUnifiedBounds(t *testing.T) {
	var a, b strings.Builder
	for i := 0; i < 5000; i++ {
		fmt.Fprintf(&a, "old %d\n", i)
		fmt.Fprintf(&b, "new %d\n", i)
	}
	// Beyond MaxEdits the whole middle is replaced, which still applies.
	d := Unified("a", "b", a.String(), b.String(), 3, 0)
	if got := apply(t, a.String(), d); got != b.String() {
		t.Fatal("the coarse diff does not apply")
	}
	cut := Unified("a", "b", a.String(), b.String(), 3, 1000)
	if len(cut) > 1100 || !strings.HasSuffix(cut, "more bytes\n") || !strings.Contains(cut, "diff truncated") {
		t.Errorf("a diff over the limit is %d bytes, ending %q", len(cut), cut[len(cut)-40:])
	}
}
