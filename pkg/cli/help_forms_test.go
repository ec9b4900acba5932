package cli

import (
	"strings"
	"testing"
)

// TestHelpFormsNameTheProgram: every form of a command in its usage starts
// with the program's name, as a user copies it (`arsenal-run validate
// --policy FILE`), and only the lines that continue a form are indented
// without it.
func TestHelpFormsNameTheProgram(t *testing.T) {
	for _, c := range commands() {
		if c.run == nil {
			continue
		}
		r := runMain(t, c.name, "--help")
		usage, _, _ := strings.Cut(r.stdout, "\n\n")
		for _, l := range strings.Split(usage, "\n") {
			words := strings.Fields(l)
			if len(words) == 0 || words[0] == "Usage:" || words[0] == program {
				continue
			}
			if words[0] == c.name {
				t.Errorf("%s --help: the form %q does not start with %s", c.name, strings.TrimSpace(l), program)
			}
		}
	}
}
