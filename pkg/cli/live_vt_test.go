package cli

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/arsenal-run/arsenal-run/pkg/engine"
)

// TestLiveViewAtTheTopLeavesNoCopies: a run started on a cleared screen
// draws its block from the top left corner; clearing it there for each
// redraw must not be taken as clearing the screen, which tmux moves into
// the scrollback, a copy of the block ten times a second.
func TestLiveViewAtTheTopLeavesNoCopies(t *testing.T) {
	for _, lines := range []int{0, 2} { // a one-row block, and a taller one
		term := newVT(80, 24)
		v := newSizedLiveView(term, palette{}, false, 80, 24)
		now := time.Now()
		ev := func(e engine.Event) { e.RunID, e.Time = "r", now; v.Event(e) }
		ev(engine.Event{Kind: engine.EventRunStarted})
		ev(engine.Event{Kind: engine.EventStepStarted, Step: "drain", Op: "shell.exec"})
		for i := range lines {
			ev(engine.Event{Kind: engine.EventLog, Step: "drain", Op: "shell.exec", Stream: "stdout", Message: fmt.Sprintf("line %d", i)})
		}
		for range 5 {
			v.mu.Lock()
			v.redraw()
			v.mu.Unlock()
		}
		v.close()
		if h := term.history(); h != "" {
			t.Errorf("%d output lines: the redraws left copies in the scrollback:\n%s", lines, h)
		}
		if sc := term.screen(); strings.TrimSpace(sc) != "" {
			t.Errorf("%d output lines: the closed view left on the screen:\n%s", lines, sc)
		}
	}
}

// TestLiveViewFollowsAResize: a terminal made narrower while a run goes
// on rewraps the block's rows; the view counts the rows they take now,
// and fits the rows it draws next to the new width, so the screen shows
// the block once, not a copy of its top at every redraw.
func TestLiveViewFollowsAResize(t *testing.T) {
	term := newVT(200, 50)
	width, height := term.termSize()
	v := newSizedLiveView(term, palette{}, false, width, height)
	now := time.Now()
	ev := func(e engine.Event) { e.RunID, e.Time = "r", now; v.Event(e) }
	ev(engine.Event{Kind: engine.EventRunStarted})
	ev(engine.Event{Kind: engine.EventStepStarted, Step: "fan", Op: "shell.exec", Items: 30})
	for i := range 3 {
		ev(engine.Event{Kind: engine.EventLog, Step: "fan", Op: "shell.exec", Stream: "stdout", Index: &i,
			Message: fmt.Sprintf("item %d working on a fairly long line of output that goes on and on past sixty columns for sure", i)})
	}
	redraw := func() {
		v.mu.Lock()
		v.redraw()
		v.mu.Unlock()
	}
	redraw()
	term.resize(60, 20)
	for range 3 {
		redraw()
	}
	sc := term.screen()
	if n := strings.Count(sc, "⋯ fan"); n != 1 {
		t.Errorf("the block shows %d times after the resize:\n%s", n, sc)
	}
	for _, l := range strings.Split(sc, "\n") {
		if w := len([]rune(l)); w > 59 {
			t.Errorf("a row of %d columns on a terminal of 60:\n%s", w, sc)
		}
	}
	v.close()
	if sc := term.screen(); strings.TrimSpace(sc) != "" {
		t.Errorf("the closed view left on the screen:\n%s", sc)
	}
}

// TestLiveViewOnANarrowPane: on a pane of 20 columns or fewer (a phone's
// ssh client, a tmux pane split three ways) the view fits its rows to the
// pane's width, as to any other: rows drawn 99 columns wide would wrap
// into five rows each, push the block past the screen's height, and leave
// a copy of its top in the scrollback at every redraw.
func TestLiveViewOnANarrowPane(t *testing.T) {
	for _, width := range []int{20, 12} {
		term := newVT(width, 10)
		w, h := term.termSize()
		v := newSizedLiveView(term, palette{}, false, w, h)
		now := time.Now()
		ev := func(e engine.Event) { e.RunID, e.Time = "r", now; v.Event(e) }
		ev(engine.Event{Kind: engine.EventRunStarted})
		ev(engine.Event{Kind: engine.EventStepStarted, Step: "fan", Op: "shell.exec", Items: 30})
		for i := range 3 {
			ev(engine.Event{Kind: engine.EventLog, Step: "fan", Op: "shell.exec", Stream: "stdout", Index: &i,
				Message: fmt.Sprintf("item %d working on a fairly long line of output that goes on and on", i)})
		}
		for range 5 {
			v.mu.Lock()
			v.redraw()
			v.mu.Unlock()
		}
		sc := term.screen()
		if n := strings.Count(sc, "⋯ fan"); n != 1 {
			t.Errorf("%d columns: the block shows %d times:\n%s", width, n, sc)
		}
		for _, l := range strings.Split(sc, "\n") {
			if c := len([]rune(l)); c > width-1 {
				t.Errorf("%d columns: a row of %d columns:\n%s", width, c, sc)
			}
		}
		if hist := term.history(); hist != "" {
			t.Errorf("%d columns: the redraws left in the scrollback:\n%s", width, hist)
		}
		v.close()
		if sc := term.screen(); strings.TrimSpace(sc) != "" {
			t.Errorf("%d columns: the closed view left on the screen:\n%s", width, sc)
		}
	}
}

// TestLiveViewIdleWritesNothing: while no step runs (a run waiting for its
// concurrency group, or one whose steps have all ended) the view has no
// block on the screen, and its redraws write nothing: no clearing codes
// ten times a second, which erased what was typed ahead and filled a
// recorded terminal's log for as long as the run waited.
func TestLiveViewIdleWritesNothing(t *testing.T) {
	out := newNotifyWriter()
	v := newSizedLiveView(out, palette{}, false, 80, 24)
	defer v.close()
	redraws := func() string {
		v.mu.Lock()
		defer v.mu.Unlock()
		before := out.String()
		for range 5 {
			v.redraw()
		}
		return strings.TrimPrefix(out.String(), before)
	}
	if got := redraws(); got != "" {
		t.Errorf("redraws before any step wrote %q", got)
	}
	now := time.Now()
	ev := func(e engine.Event) { e.RunID, e.Time = "r", now; v.Event(e) }
	ev(engine.Event{Kind: engine.EventRunStarted})
	ev(engine.Event{Kind: engine.EventStepStarted, Step: "drain", Op: "shell.exec"})
	if got := redraws(); !strings.Contains(got, "drain") {
		t.Errorf("redraws of a running step wrote %q", got)
	}
	ev(engine.Event{Kind: engine.EventStepFinished, Step: "drain", Op: "shell.exec", Status: "succeeded"})
	if got := redraws(); got != "" {
		t.Errorf("redraws after the last step ended wrote %q", got)
	}
}
