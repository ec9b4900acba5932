package cli

import (
	"bytes"
	"io"
	"regexp"
	"strings"
	"testing"
)

// sgrRE is an escape sequence that sets colour or another attribute.
var sgrRE = regexp.MustCompile("\x1b\\[[0-9;]*m")

// TestRunOnTerminalHonoursNoColorAndDumb: `run` on a terminal writes no
// escape sequence at all under TERM=dumb, whose terminal moves no cursor
// and shows no colour, and no colour under NO_COLOR (its live view may
// still redraw itself), in its live view, log lines and summary alike;
// without either it colours them, as the control that the check sees
// colour where there is some.
func TestRunOnTerminalHonoursNoColorAndDumb(t *testing.T) {
	dir := t.TempDir()
	pb := writePlaybook(t, dir, "nightly.yaml", "version: 1\nname: nightly\nsteps:\n"+
		"  - {id: greet, op: shell.exec, with: {script: \"echo hello; echo oops >&2\"}}\n"+
		"  - {id: check, op: control.fail, with: {message: the disk is nearly full}}\n")
	for _, tc := range []struct {
		name      string
		vars      map[string]string
		bad       *regexp.Regexp
		wantColor bool
	}{
		{"TERM=dumb", map[string]string{"TERM": "dumb"}, regexp.MustCompile("\x1b"), false},
		{"TERM=dumb NO_COLOR=1", map[string]string{"TERM": "dumb", "NO_COLOR": "1"}, regexp.MustCompile("\x1b"), false},
		{"NO_COLOR=1", map[string]string{"TERM": "xterm-256color", "NO_COLOR": "1"}, sgrRE, false},
		{"colour", map[string]string{"TERM": "xterm-256color"}, nil, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ptm, pts := openSizedPTY(t, 100)
			e := &env{stdin: strings.NewReader(""), stdout: &output{w: pts}, stderr: &output{w: pts},
				getenv: func(k string) string { return tc.vars[k] }, newRegistry: NewRegistry}
			done := make(chan []byte)
			go func() {
				var b bytes.Buffer
				io.Copy(&b, ptm) // until the terminal end is closed
				done <- b.Bytes()
			}()
			code := dispatch(e, []string{"run", pb, "--state-dir", t.TempDir()}, commands())
			pts.Close()
			got := string(<-done)
			if code != ExitFailed {
				t.Fatalf("run: exit %d, want %d\n%q", code, ExitFailed, got)
			}
			want := []string{"nearly full", "nightly failed"}
			if tc.vars["TERM"] == "dumb" {
				// Log lines keep a step's output; the live view shows it
				// only while the step runs.
				want = append(want, "hello", "oops")
			}
			for _, w := range want {
				if !strings.Contains(got, w) {
					t.Errorf("the output lacks %q:\n%q", w, got)
				}
			}
			if tc.bad != nil {
				if m := tc.bad.FindStringIndex(got); m != nil {
					t.Errorf("an escape sequence at byte %d: %q\nin %q", m[0], got[m[0]:min(len(got), m[0]+12)], got)
				}
			}
			if hasColor := sgrRE.MatchString(got); hasColor != tc.wantColor {
				t.Errorf("colour %v, want %v:\n%q", hasColor, tc.wantColor, got)
			}
		})
	}
}
