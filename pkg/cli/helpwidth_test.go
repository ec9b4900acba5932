package cli

import (
	"strings"
	"testing"
	"unicode/utf8"
)

// TestHelpProseFitsATerminal: the prose of every command's help, and of
// every subcommand's ('ops list --help'), as it is printed, fits the 80
// columns of a terminal that a help text is read on; a line past them
// wraps mid-word there.
func TestHelpProseFitsATerminal(t *testing.T) {
	for _, c := range append(commands(), opsSubcommands()...) {
		for i, line := range strings.Split(c.help, "\n") {
			if n := utf8.RuneCountInString(line); n > 80 {
				t.Errorf("%s --help, line %d of its prose: %d columns: %s", c.name, i+1, n, line)
			}
		}
	}
}

// TestHelpFitsATerminal: all of each command's help fits 80 columns, its
// synopsis, flags and exit codes wrapped into their columns, but for a line
// that is one group or word too long to break.
func TestHelpFitsATerminal(t *testing.T) {
	args := [][]string{{"--help"}}
	for _, c := range append(commands(), opsSubcommands()...) {
		args = append(args, append(strings.Fields(c.name), "--help"))
	}
	for _, a := range args {
		res := runMain(t, a...)
		if res.code != ExitOK {
			t.Fatalf("%v: exit %d\n%s", a, res.code, res.stderr)
		}
		for _, line := range strings.Split(res.stdout, "\n") {
			n := utf8.RuneCountInString(line)
			if n <= 80 {
				continue
			}
			if groups := synopsisGroups(strings.TrimSpace(line)); len(groups) == 1 {
				continue // one group, as "(--state-dir DIR | --state URL ...)"
			}
			t.Errorf("%v: %d columns: %s", a, n, line)
		}
	}
}
