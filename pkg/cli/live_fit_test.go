package cli

import (
	"strings"
	"testing"
	"time"

	"github.com/arsenal-run/arsenal-run/internal/termtext"
	"github.com/arsenal-run/arsenal-run/pkg/engine"
)

// TestLiveViewFitsFinishedLines: a finished step's error longer than the
// terminal wraps at spaces under itself, every line within the width,
// rather than the terminal wrapping it into the icons' column.
func TestLiveViewFitsFinishedLines(t *testing.T) {
	for _, width := range []int{80, 50} { // 50: too narrow beside the columns, so under them
		out := newNotifyWriter()
		v := newLiveView(out, palette{}, false, width)
		now := time.Now()
		ev := func(e engine.Event) { e.RunID, e.Time = "r", now; v.Event(e) }
		ev(engine.Event{Kind: engine.EventRunStarted})
		ev(engine.Event{Kind: engine.EventStepStarted, Step: "migrate", Op: "http.request"})
		msg := "POST https://db.example.com/migrate answered 503 Service Unavailable after 3 attempts; retry later"
		ev(engine.Event{Kind: engine.EventStepFinished, Step: "migrate", Op: "http.request", Status: "failed", Err: msg})
		v.close()
		got := viewCodes.ReplaceAllString(out.String(), "")
		var words []string
		for _, l := range strings.Split(got, "\n") {
			if w := termtext.Width(l); w > width-1 {
				t.Errorf("width %d: a line of %d columns:\n%s", width, w, l)
			}
			words = append(words, strings.Fields(l)...)
		}
		if !strings.Contains(strings.Join(words, " "), msg) {
			t.Errorf("width %d: the error is not all there:\n%s", width, got)
		}
	}
}

// TestLiveViewRunningRowsFitByColumns: the running block cuts a row by
// the columns it takes, not its bytes: a row of accented or wide text
// that fits is shown whole, one that does not is cut within the width.
func TestLiveViewRunningRowsFitByColumns(t *testing.T) {
	const width = 40
	out := newNotifyWriter()
	v := newLiveView(out, palette{}, false, width)
	now := time.Now()
	ev := func(e engine.Event) { e.RunID, e.Time = "r", now; v.Event(e) }
	ev(engine.Event{Kind: engine.EventRunStarted})
	ev(engine.Event{Kind: engine.EventStepStarted, Step: "purge", Op: "shell.exec"})
	fits := "vidé: ééééééééééééééééééééé" // 28 columns, 50 bytes
	long := "日本語のログ行がとても長くて端末の幅を超える"
	ev(engine.Event{Kind: engine.EventLog, Step: "purge", Op: "shell.exec", Stream: "stdout", Message: fits})
	ev(engine.Event{Kind: engine.EventLog, Step: "purge", Op: "shell.exec", Stream: "stdout", Message: long})
	v.mu.Lock()
	v.redraw()
	v.mu.Unlock()
	got := viewCodes.ReplaceAllString(out.String(), "")
	if !strings.Contains(got, fits) {
		t.Errorf("a line that fits was cut:\n%s", got)
	}
	for _, l := range strings.Split(got, "\n") {
		if w := termtext.Width(l); w > width-1 {
			t.Errorf("a line of %d columns in a terminal of %d:\n%s", w, width, l)
		}
	}
	v.close()
}

// TestLiveViewFitsAFailedStepsOutput: the output shown under a failed
// step is cut into pieces within the terminal, each in the "│" gutter,
// its spaces kept, rather than wrapped by the terminal into the first
// column.
func TestLiveViewFitsAFailedStepsOutput(t *testing.T) {
	const width = 60
	out := newNotifyWriter()
	v := newLiveView(out, palette{}, false, width)
	now := time.Now()
	ev := func(e engine.Event) { e.RunID, e.Time = "r", now; v.Event(e) }
	ev(engine.Event{Kind: engine.EventRunStarted})
	ev(engine.Event{Kind: engine.EventStepStarted, Step: "migrate", Op: "shell.exec"})
	msg := "ERROR: connection to db-primary.internal.example.com:5432 refused after 3 attempts;   the replica is read-only"
	ev(engine.Event{Kind: engine.EventLog, Step: "migrate", Op: "shell.exec", Stream: "stderr", Message: msg})
	ev(engine.Event{Kind: engine.EventStepFinished, Step: "migrate", Op: "shell.exec", Status: "failed", Err: "exit code 3 is not in ok_codes [0]"})
	v.close()
	got := viewCodes.ReplaceAllString(out.String(), "")
	var joined strings.Builder
	for _, l := range strings.Split(got, "\n") {
		if w := termtext.Width(l); w > width-1 {
			t.Errorf("a line of %d columns in a terminal of %d:\n%s", w, width, l)
		}
		if part, ok := strings.CutPrefix(l, "    │ "); ok {
			joined.WriteString(part)
		}
	}
	if joined.String() != msg {
		t.Errorf("the output in the gutter is %q, want %q:\n%s", joined.String(), msg, got)
	}
}

// TestLiveViewBoundsALongOutputLine: one long line of a failed step's
// output (a minified response, a base64 blob) takes at most
// maxOutputRows rows under it, the last saying how many bytes were left
// out, rather than hundreds of rows that push the step's own line and the
// lines that say why it failed out of sight.
func TestLiveViewBoundsALongOutputLine(t *testing.T) {
	const width = 80
	out := newNotifyWriter()
	v := newLiveView(out, palette{}, false, width)
	now := time.Now()
	ev := func(e engine.Event) { e.RunID, e.Time = "r", now; v.Event(e) }
	ev(engine.Event{Kind: engine.EventRunStarted})
	ev(engine.Event{Kind: engine.EventStepStarted, Step: "fetch", Op: "shell.exec"})
	blob := strings.Repeat("a", 16384) + termtext.CutNote(1000)
	ev(engine.Event{Kind: engine.EventLog, Step: "fetch", Op: "shell.exec", Stream: "stdout", Message: blob})
	ev(engine.Event{Kind: engine.EventLog, Step: "fetch", Op: "shell.exec", Stream: "stderr", Message: "curl: (22) error: 500"})
	ev(engine.Event{Kind: engine.EventStepFinished, Step: "fetch", Op: "shell.exec", Status: "failed", Err: "exit code 22 is not in ok_codes [0]"})
	v.close()
	got := viewCodes.ReplaceAllString(out.String(), "")
	var rows []string
	for _, l := range strings.Split(got, "\n") {
		if w := termtext.Width(l); w > width-1 {
			t.Errorf("a line of %d columns in a terminal of %d:\n%s", w, width, l)
		}
		if part, ok := strings.CutPrefix(l, "    │ "); ok {
			rows = append(rows, part)
		}
	}
	if len(rows) != maxOutputRows+1 {
		t.Fatalf("the output takes %d rows, want %d for the long line and 1 for the next:\n%s", len(rows), maxOutputRows+1, got)
	}
	shown := strings.Join(rows[:maxOutputRows], "")
	n, _, ok := termtext.TrailingCut(shown)
	if !ok || strings.Count(shown, "a")+n != 16384+1000 {
		t.Errorf("the long line's rows %q do not end with a note of the %d bytes left out", shown, 16384+1000-strings.Count(shown, "a"))
	}
	if rows[maxOutputRows] != "curl: (22) error: 500" {
		t.Errorf("the line after the long one is %q", rows[maxOutputRows])
	}
}

// TestLiveViewAlignsWideStepNames: finished steps named in Japanese, with
// emoji or accents, keep their status column where a plain name's is, by
// the columns the name takes on the screen, not its characters.
func TestLiveViewAlignsWideStepNames(t *testing.T) {
	out := newNotifyWriter()
	v := newLiveView(out, palette{}, false, 120)
	now := time.Now()
	ev := func(e engine.Event) { e.RunID, e.Time = "r", now; v.Event(e) }
	ev(engine.Event{Kind: engine.EventRunStarted})
	for _, s := range []struct{ id, name string }{{"a", "plain"}, {"b", "日本語のステップ"}, {"c", "🚀 launch"}, {"d", "Étape café"}} {
		ev(engine.Event{Kind: engine.EventStepStarted, Step: s.id, Name: s.name, Op: "control.noop"})
		ev(engine.Event{Kind: engine.EventStepFinished, Step: s.id, Name: s.name, Op: "control.noop", Status: "succeeded"})
	}
	v.close()
	got := viewCodes.ReplaceAllString(out.String(), "")
	var cols []int
	for _, l := range strings.Split(got, "\n") {
		if i := strings.Index(l, "succeeded"); i >= 0 {
			cols = append(cols, termtext.Width(l[:i]))
		}
	}
	if len(cols) != 4 {
		t.Fatalf("want 4 finished lines:\n%s", got)
	}
	for _, c := range cols[1:] {
		if c != cols[0] {
			t.Errorf("status columns %v are not aligned:\n%s", cols, got)
			break
		}
	}
}

// TestLiveViewCutsLongLabels: a finished step whose id and name run past
// the label column has its name cut with an ellipsis, or its id where
// that alone is too long, so that every status word stays in one column
// and, on a narrow terminal, the line fits its width.
func TestLiveViewCutsLongLabels(t *testing.T) {
	for _, width := range []int{80, 40} {
		out := newNotifyWriter()
		v := newLiveView(out, palette{}, false, width)
		now := time.Now()
		ev := func(e engine.Event) { e.RunID, e.Time = "r", now; v.Event(e) }
		ev(engine.Event{Kind: engine.EventRunStarted})
		for _, s := range []struct{ id, name string }{
			{"a", "plain"},
			{"build", "Build the greetings"},
			{"test", "Test the greetings against everything we know"},
			{"a-step-id-that-is-far-too-long-for-any-column", ""},
			{"an-id-of-twenty-chars", "and a name"},
			{"b", "日本語のステップ日本語のステップ"},
		} {
			ev(engine.Event{Kind: engine.EventStepStarted, Step: s.id, Name: s.name, Op: "control.noop"})
			ev(engine.Event{Kind: engine.EventStepFinished, Step: s.id, Name: s.name, Op: "control.noop", Status: "succeeded", DurationMS: 1500})
		}
		v.close()
		got := viewCodes.ReplaceAllString(out.String(), "")
		var cols []int
		for _, l := range strings.Split(got, "\n") {
			i := strings.Index(l, "succeeded")
			if i < 0 {
				continue
			}
			cols = append(cols, termtext.Width(l[:i]))
			if w := termtext.Width(strings.TrimRight(l, " ")); w > width-1 {
				t.Errorf("width %d: a line of %d columns: %q", width, w, l)
			}
		}
		if len(cols) != 6 {
			t.Fatalf("width %d: want 6 finished lines:\n%s", width, got)
		}
		for _, c := range cols[1:] {
			if c != cols[0] {
				t.Errorf("width %d: status columns %v are not aligned:\n%s", width, cols, got)
				break
			}
		}
		for _, want := range []string{"build (Build th", "…)", "a-step-id-that", "…"} {
			if !strings.Contains(got, want) {
				t.Errorf("width %d: no %q in:\n%s", width, want, got)
			}
		}
		if width == 80 && !strings.Contains(got, "a (plain)") {
			t.Errorf("a short label is changed:\n%s", got)
		}
		t.Logf("width %d:\n%s", width, got)
	}
}
