package inventory

import (
	"math/rand/v2"
	"regexp"
	"strings"
	"testing"
)

// TestNameFormsMatchTheirRegularExpressions: the hand-written checks of
// names accept exactly what the regular expressions that define them do,
// on edge cases and on random strings of the bytes that matter.
func TestNameFormsMatchTheirRegularExpressions(t *testing.T) {
	forms := []struct {
		name  string
		re    *regexp.Regexp
		check func(string) bool
	}{
		{"name", regexp.MustCompile(`^[A-Za-z0-9_][A-Za-z0-9_.-]{0,63}$`), validName},
		{"user", regexp.MustCompile(`^[A-Za-z0-9_][A-Za-z0-9_.-]{0,63}\$?$`), validUser},
		{"dns", regexp.MustCompile(`^[A-Za-z0-9_]([A-Za-z0-9_.-]{0,251}[A-Za-z0-9_.])?$`), validDNS},
	}
	cases := []string{"", "a", "-", ".", "_", "$", "a$", "a$$", "$a", "a-", "a.", "-a", ".a", "web-1", "db.internal",
		"a b", "é", "a\n", strings.Repeat("a", 64), strings.Repeat("a", 65), strings.Repeat("a", 64) + "$",
		strings.Repeat("a", 253), strings.Repeat("a", 254), strings.Repeat("a", 252) + "-", strings.Repeat("a", 252) + "."}
	alphabet := "aZ0_.-$ é:@"
	r := rand.New(rand.NewPCG(1, 2))
	for range 20000 {
		n := r.IntN(70)
		if r.IntN(10) == 0 {
			n = 240 + r.IntN(20)
		}
		var b strings.Builder
		for range n {
			b.WriteByte(alphabet[r.IntN(len(alphabet))])
		}
		cases = append(cases, b.String())
	}
	for _, f := range forms {
		for _, c := range cases {
			if got, want := f.check(c), f.re.MatchString(c); got != want {
				t.Errorf("%s %q: %v, the regular expression says %v", f.name, c, got, want)
			}
		}
	}
}
