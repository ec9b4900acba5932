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
