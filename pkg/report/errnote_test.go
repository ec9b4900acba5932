package report

import (
	"strings"
	"testing"
)

// TestCutNoteKeepsWhatToDo: a step's note too long for its room gives up
// the playbook position and the step and operation names the row already
// shows, then keeps the clause that says what to do whole, in the rooms the
// summary gives a note; one that fits keeps all of it.
func TestCutNoteKeepsWhatToDo(t *testing.T) {
	s := &Step{ID: "check", Op: "http.request", Status: StatusFailed, Ignored: true, Error: &Error{Class: "validation",
		Message: "pb/incident-service-restart.yaml:39:17: step check: http.request: param url: has no scheme; start it with http:// or https://, like http://127.0.0.1:8080/health"}}
	advice := "has no scheme; start it with http:// or https://, like http://127.0.0.1:8080/health"
	for _, n := range []int{textNoteLimit, 130, 150} {
		got := stepNote(s, n, false)
		if !strings.HasSuffix(got, advice) || !strings.HasPrefix(got, IgnoredNote+"; ") || len([]rune(got)) > n {
			t.Errorf("room %d: %q\nwant at most %d characters, ending %q", n, got, n, advice)
		}
	}
	if got, want := stepNote(s, 300, false), IgnoredNote+"; validation: "+s.Error.Message; got != want {
		t.Errorf("room 300: %q\nwant the whole error %q", got, want)
	}
}
