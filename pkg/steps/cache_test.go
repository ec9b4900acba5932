package steps

import (
	"strings"
	"testing"
)

// TestCacheKeyProblems: an empty cache.key, which would make every step of
// the op share one entry, is refused at its position; a key that reads its
// own step is refused with advice that fits a key, not retry's.
func TestCacheKeyProblems(t *testing.T) {
	reg := testRegistry(t)
	for _, tc := range []struct{ name, step, want string }{
		{"empty", `{id: s, op: control.set, with: {n: 1}, cache: {ttl: 1m, key: ""}}`,
			`p.yaml:4:66: cache.key is empty, so every step of control.set would share one entry whatever it does`},
		{"its own state", `{id: s, op: control.set, with: {n: 1}, cache: {ttl: 1m, key: "${{ steps.s.output.n }}"}}`,
			`step s cannot read its own state: it is not known until the step has run; read another step's, or an input`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse("p.yaml", []byte("version: 1\nname: c\nsteps:\n  - "+tc.step+"\n"), reg)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("got %v\nwant %q", err, tc.want)
			}
			if strings.Contains(err.Error(), "retry") {
				t.Errorf("the advice is about retry: %v", err)
			}
		})
	}
}
