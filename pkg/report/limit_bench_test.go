package report

import (
	"strings"
	"testing"
)

// BenchmarkCapStringLongOutput is what each long output costs the report:
// a megabyte of build log cut to MaxString, with no note of an earlier
// cut in it (most outputs) and with one (a shell step's stdout past its
// max_output).
func BenchmarkCapStringLongOutput(b *testing.B) {
	half := strings.Repeat("line of the build output\n", 20_000) // 500,000 bytes
	for _, c := range []struct{ name, s string }{
		{"plain", half + half},
		{"cut", half + "\n[... 6000000 bytes truncated ...]\n" + half},
	} {
		b.Run(c.name, func(b *testing.B) {
			b.SetBytes(int64(len(c.s)))
			for b.Loop() {
				CapString(c.s, MaxString)
			}
		})
	}
}
