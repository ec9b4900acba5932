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
// synopsis, flags and exit codes wrapped into their columns; a group of
// alternatives too wide for a line, as serve's "(--state-dir DIR | --state
// URL ...)", is continued after its "|".
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
			t.Errorf("%v: %d columns: %s", a, n, line)
		}
	}
}

// TestSynopsisSplitsWideAlternatives: a group of alternatives wider than
// a line starts a line of its own and goes on after each "|", under its
// first word; one that fits stays whole.
func TestSynopsisSplitsWideAlternatives(t *testing.T) {
	var b strings.Builder
	writeSynopsis(&b, "serve --keys FILE (--state-dir DIR | --state URL [--report-dir DIR] --audit-log FILE) [--listen ADDR]\nserve (--a | --b)")
	want := "Usage: arsenal-run serve --keys FILE\n" +
		"                         (--state-dir DIR |\n" +
		"                          --state URL [--report-dir DIR] --audit-log FILE)\n" +
		"                         [--listen ADDR]\n" +
		"       arsenal-run serve (--a | --b)\n"
	if b.String() != want {
		t.Errorf("got\n%s\nwant\n%s", b.String(), want)
	}
}
