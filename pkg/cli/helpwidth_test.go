package cli

import (
	"strings"
	"testing"
	"unicode/utf8"
)

// TestHelpProseFitsATerminal: the prose of every command's help, as
// 'COMMAND --help' prints it, fits the 80 columns of a terminal that a
// help text is read on; a line past them wraps mid-word there.
func TestHelpProseFitsATerminal(t *testing.T) {
	for _, c := range commands() {
		for i, line := range strings.Split(c.help, "\n") {
			if n := utf8.RuneCountInString(line); n > 80 {
				t.Errorf("%s --help, line %d of its prose: %d columns: %s", c.name, i+1, n, line)
			}
		}
	}
}
