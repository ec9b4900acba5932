package steps

import (
	"strings"
	"testing"
)

// TestReadOfALaterSection checks the message for a step that reads a step
// of a section that runs after its own: it names both sections and the
// step that cannot read it.
func TestReadOfALaterSection(t *testing.T) {
	src := "version: 1\nname: t\nsteps:\n  - id: a\n    op: control.log\n    with: {message: \"${{ steps.z.output.message }}\"}\n" +
		"on_failure:\n  - id: p\n    op: control.log\n    with: {message: \"${{ steps.z.output.message }}\"}\n" +
		"finally:\n  - id: z\n    op: control.log\n    with: {message: hi}\n"
	_, err := Parse("p.yaml", []byte(src), testRegistry(t))
	if err == nil {
		t.Fatal("loaded; want it refused")
	}
	for _, want := range []string{
		"p.yaml:6:32: steps.z is in finally, which runs after steps, where step a is, so a cannot read it; read it in a step of finally or in the playbook's outputs",
		"p.yaml:10:32: steps.z is in finally, which runs after on_failure, where step p is, so p cannot read it;",
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("want %q in:\n%s", want, err)
		}
	}
}
