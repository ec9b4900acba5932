package report

import (
	"bytes"
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/arsenal-run/arsenal-run/internal/termtext"
)

func renderText(t testing.TB, r *Report) string {
	t.Helper()
	var b bytes.Buffer
	if err := WriteText(&b, r); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// TestTextShowsOutputsAsJSON: lists, maps and null read as JSON, not as Go
// prints them ([a b], map[k:1], <nil>); a string is shown as it is.
func TestTextShowsOutputsAsJSON(t *testing.T) {
	r := &Report{
		ReportVersion: FormatVersion, RunID: "r1", Playbook: Playbook{Name: "p"}, Status: StatusSucceeded,
		StartedAt: goldenStart, FinishedAt: goldenStart,
		Outputs: map[string]any{
			"list":   []any{"a", "b"},
			"map":    map[string]any{"k": 1, "s": "x y"},
			"none":   nil,
			"number": 2.5,
			"flag":   true,
			"text":   "plain words",
		},
	}
	got := renderText(t, r)
	_, outputs, _ := strings.Cut(got, "outputs:\n")
	want := `  flag: true
  list: ["a","b"]
  map: {"k":1,"s":"x y"}
  none: null
  number: 2.5
  text: plain words
`
	if diff := cmp.Diff(want, outputs); diff != "" {
		t.Errorf("outputs (-want +got):\n%s\nwhole summary:\n%s", diff, got)
	}
}

// TestTextShowsAMultiLineOutputAsItIs: a string output of several lines
// (a command's stdout) keeps its lines, indented under its name, not
// joined with spaces; past textOutputLines a line says how many more the
// report has.
func TestTextShowsAMultiLineOutputAsItIs(t *testing.T) {
	var long strings.Builder
	for i := range textOutputLines + 5 {
		fmt.Fprintf(&long, "row %d\n", i)
	}
	r := &Report{
		ReportVersion: FormatVersion, RunID: "r1", Playbook: Playbook{Name: "p"}, Status: StatusSucceeded,
		StartedAt: goldenStart, FinishedAt: goldenStart,
		Outputs: map[string]any{
			"a_stdout": "line1\n  indented\r\n\nline4\n",
			"b_line":   "ok\n",
			"c_long":   long.String(),
		},
	}
	got := renderText(t, r)
	_, outputs, _ := strings.Cut(got, "outputs:\n")
	want := `  a_stdout:
    line1
      indented

    line4
  b_line: ok
  c_long:
`
	for i := range textOutputLines {
		want += fmt.Sprintf("    row %d\n", i)
	}
	want += "    … 5 more lines; the report has them all\n"
	if diff := cmp.Diff(want, outputs); diff != "" {
		t.Errorf("outputs (-want +got):\n%s\nwhole summary:\n%s", diff, got)
	}
}

// TestTextHasNoTerminalControls: the summary goes to a terminal, so values
// from the report lose their escape sequences there.
func TestTextHasNoTerminalControls(t *testing.T) {
	evil := "\x1b]0;owned\x07\x1b[2J\rfine\u009b31m"
	r := &Report{
		ReportVersion: FormatVersion, RunID: "r1", Playbook: Playbook{Name: "p"}, Status: StatusFailed,
		StartedAt: goldenStart, FinishedAt: goldenStart,
		Steps: []Step{{ID: "s", Op: "control.fail", Section: "steps", Status: StatusFailed, Attempts: 1,
			Error: &Error{Class: "execution", Message: evil}, Reason: evil}},
		Outputs:      map[string]any{"o": evil, "l": []any{evil}},
		OutputErrors: map[string]string{"bad": evil},
		Error:        &Error{Class: "execution", Message: "step s failed: " + evil},
	}
	got := renderText(t, r)
	for _, c := range []string{"\x1b", "\r", "\u009b", "\x07"} {
		if strings.Contains(got, c) {
			t.Errorf("the summary holds %q:\n%q", c, got)
		}
	}
	if !strings.Contains(got, "fine") {
		t.Errorf("the text around the escapes is gone:\n%s", got)
	}
}

// TestFormatMS: durations read as people write them, without Go's zero
// units: 2h, not 2h0m0s.
func TestFormatMS(t *testing.T) {
	for ms, want := range map[int64]string{
		0: "0ms", 850: "850ms", 1500: "1.5s", 59_940: "59.9s", 60_000: "1m", 123_000: "2m3s",
		600_000: "10m", 3_600_000: "1h", 5_400_000: "1h30m", 7_200_000: "2h", 7_205_000: "2h0m5s", 4_200_000: "1h10m",
	} {
		if got := FormatMS(ms); got != want {
			t.Errorf("FormatMS(%d) = %q, want %q", ms, got, want)
		}
	}
}

// TestTextErrorCannotForgeTheSummary: the run's error ends with the lines a
// step printed on stderr; each is indented under the error, so that a line
// such as the summary's own first line, printed by the step, does not stand
// at the start of a line as if the runner had written it.
func TestTextErrorCannotForgeTheSummary(t *testing.T) {
	forged := "✓ deploy succeeded in 2.1s (run r0)"
	r := &Report{
		ReportVersion: FormatVersion, RunID: "r1", Playbook: Playbook{Name: "deploy"}, Status: StatusFailed,
		StartedAt: goldenStart, FinishedAt: goldenStart,
		Steps: []Step{{ID: "s", Op: "shell.exec", Section: "steps", Status: StatusFailed, Attempts: 1,
			Error: &Error{Class: "execution", Message: shellError("pushing\n" + forged)}}},
		OutputErrors: map[string]string{"url": "steps.s.output failed:\n" + forged},
		Error:        &Error{Class: "execution", Message: "step s failed: " + shellError("pushing\n"+forged)},
	}
	got := renderText(t, r)
	for _, l := range strings.Split(got, "\n") {
		if strings.HasPrefix(l, "✓") || strings.HasPrefix(l, "pushing") {
			t.Errorf("a line the step printed starts a line of the summary: %q\n%s", l, got)
		}
	}
	if !strings.Contains(got, "\n  "+forged+"\n") {
		t.Errorf("the step's stderr is not shown indented under the error:\n%s", got)
	}
}

// TestTextFitWrapsTheError: on a terminal the error's lines wrap at spaces
// within the width, each row after the first indented, so that a long line
// of stderr is not wrapped by the terminal into the first column, where
// its rest (padded to start there) would read as a line of the summary.
func TestTextFitWrapsTheError(t *testing.T) {
	const width = 80
	stderr := strings.Repeat("x", 76) + " ✓ deploy succeeded in 2.1s (run r0)"
	r := &Report{
		ReportVersion: FormatVersion, RunID: "r1", Playbook: Playbook{Name: "deploy"}, Status: StatusFailed,
		StartedAt: goldenStart, FinishedAt: goldenStart,
		Error: &Error{Class: "execution", Message: "step s failed: " + shellError(stderr)},
	}
	var b bytes.Buffer
	if err := WriteTextFit(&b, r, width); err != nil {
		t.Fatal(err)
	}
	got := b.String()
	for _, l := range strings.Split(got, "\n") {
		if w := termtext.Width(l); w > width-1 {
			t.Errorf("a line of %d columns in a terminal of %d: %q", w, width, l)
		}
		if strings.HasPrefix(l, "✓") {
			t.Errorf("a line the step printed starts a line of the summary: %q\n%s", l, got)
		}
	}
	if !strings.Contains(got, "\n  ✓ deploy succeeded in 2.1s (run r0)\n") {
		t.Errorf("the rest of the stderr line is not on a row of its own, indented:\n%s", got)
	}
}

// TestTextNamesTheResumedRun: the summary of a resumed run (the end of
// 'run --resume', 'report show') says which run it resumed, cleaned of
// terminal controls; one that resumed nothing says nothing of it.
func TestTextNamesTheResumedRun(t *testing.T) {
	r := &Report{
		ReportVersion: FormatVersion, RunID: "r2", ResumedFrom: "r1\x1b[2J", Playbook: Playbook{Name: "p"}, Status: StatusFailed,
		StartedAt: goldenStart, FinishedAt: goldenStart,
		Steps: []Step{{ID: "a", Op: "x.y", Section: "steps", Status: StatusSucceeded, Reused: true}},
	}
	got := renderText(t, r)
	if lines := strings.Split(got, "\n"); len(lines) < 2 || lines[1] != "  resumed from run r1" {
		t.Errorf("second line is not the resumed run:\n%s", got)
	}
	r.ResumedFrom = ""
	if got := renderText(t, r); strings.Contains(got, "resumed from") {
		t.Errorf("a run that resumed nothing names a resumed run:\n%s", got)
	}
}

// TestTextInterruptedRunSaysAtLeast: the report a server tells of a run
// whose process died (remote run --follow across a crash) read "slow
// interrupted in 27ms" for a run that went on for seconds: its duration
// is until its last recorded step ended. The summary says at least, as
// 'history' does, and that the steps listed are those that finished.
func TestTextInterruptedRunSaysAtLeast(t *testing.T) {
	r := &Report{
		ReportVersion: FormatVersion, RunID: "r1", Playbook: Playbook{Name: "slow"}, Status: statusInterrupted,
		StartedAt: goldenStart, DurationMS: 27,
		Steps: []Step{{ID: "a", Op: "x.y", Section: "steps", Status: StatusSucceeded, DurationMS: 27, Attempts: 1}},
	}
	got := renderText(t, r)
	lines := strings.Split(got, "\n")
	if want := "↯ slow interrupted after at least 27ms (run r1)"; lines[0] != want {
		t.Errorf("first line %q, want %q", lines[0], want)
	}
	if !strings.HasPrefix(lines[1], "  the process running it ended first") {
		t.Errorf("second line does not say the process ended first:\n%s", got)
	}
	r.Status = StatusCancelled
	if got := renderText(t, r); !strings.HasPrefix(got, "■ slow cancelled in 27ms (run r1)\n") || strings.Contains(got, "ended first") {
		t.Errorf("a cancelled run:\n%s", got)
	}
}
