package steps

import (
	"fmt"
	"strings"
	"testing"
)

// bigPlaybook returns a playbook of n steps, each with a when and an
// interpolated parameter that read the step before.
func bigPlaybook(n int) []byte {
	var b strings.Builder
	b.WriteString("version: 1\nname: big\ninputs:\n  greeting: {type: string, default: hi}\nsteps:\n")
	b.WriteString("  - id: s0\n    op: control.log\n    with: {message: start}\n")
	for i := 1; i < n; i++ {
		fmt.Fprintf(&b, "  - id: s%d\n    op: control.log\n    when: steps.s%d.status == \"succeeded\"\n    with: {message: \"${{ inputs.greeting }} after ${{ steps.s%d.output.message }} %d\"}\n", i, i-1, i-1, i)
	}
	return []byte(b.String())
}

// BenchmarkLoad1000 loads and validates a 1,000-step playbook with a when
// and an interpolation on every step.
func BenchmarkLoad1000(b *testing.B) {
	data := bigPlaybook(1000)
	reg := testRegistry(b)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Parse("big.yaml", data, reg); err != nil {
			b.Fatal(err)
		}
	}
}
