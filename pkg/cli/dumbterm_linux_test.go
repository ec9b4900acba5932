package cli

import (
	"os"
	"testing"
)

// openPTY opens a pseudo-terminal and returns its terminal end.
func openPTY(t *testing.T) *os.File {
	t.Helper()
	_, pts := openPTYEnds(t)
	return pts
}

// TestDumbTerminalGetsPlainView: with TERM=dumb the run writes plain log
// lines instead of the live view, whose redraws need cursor movement; any
// other terminal gets the view.
func TestDumbTerminalGetsPlainView(t *testing.T) {
	pts := openPTY(t)
	for term, want := range map[string]bool{"dumb": false, "xterm-256color": true, "": true} {
		e := &env{stderr: &output{w: pts}, getenv: func(k string) string {
			if k == "TERM" {
				return term
			}
			return ""
		}}
		r := &runner{e: e, o: runOptions{logFormat: "console"}}
		if _, live := r.logLevel(); live != want {
			t.Errorf("TERM=%q: live view %v, want %v", term, live, want)
		}
	}
}

// TestNoColorSetAndNotEmpty: colour on a terminal is off when NO_COLOR is
// set to something, and stays on when it is unset or empty, as
// no-color.org and docs/cli.md say.
func TestNoColorSetAndNotEmpty(t *testing.T) {
	pts := openPTY(t)
	for _, tc := range []struct {
		value string
		set   bool
		want  bool
	}{{"", false, true}, {"", true, true}, {"1", true, false}, {"0", true, false}} {
		e := &env{getenv: func(k string) string {
			if k == "NO_COLOR" && tc.set {
				return tc.value
			}
			return ""
		}}
		if got := e.paletteFor(pts).on; got != tc.want {
			t.Errorf("NO_COLOR set %v to %q: colour %v, want %v", tc.set, tc.value, got, tc.want)
		}
	}
}
