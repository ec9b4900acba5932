package report

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestFanOutNoteKeepsFailedItems: a fan-out's note, too long for its
// cell, gives up the leading item's own message (its row and the run's
// error line show it) before the names of the items that failed; cut in
// its middle, it lost the leading item's name, and a stopped rollout's
// note kept only the end of some stderr.
func TestFanOutNoteKeepsFailedItems(t *testing.T) {
	stderr := "exit code 1 is not in ok_codes [0]; stderr ends with:\nconnection refused by upstream service while restarting worker pool"
	matrix := Step{ID: "test", Status: StatusFailed,
		Error: &Error{Class: "execution", Message: "2 of 4 items failed: item darwin, 1.26 (#2): exit code 3 is not in ok_codes [0]; also failed: item windows, 1.26 (#3)"},
		Items: []Item{
			{Index: 0, Label: "linux, 1.25, true", Status: StatusSucceeded},
			{Index: 1, Label: "linux, 1.26, true", Status: StatusSucceeded},
			{Index: 2, Label: "darwin, 1.26", Status: StatusFailed, Error: &Error{Class: "execution", Message: "exit code 3 is not in ok_codes [0]"}},
			{Index: 3, Label: "windows, 1.26", Status: StatusFailed, Error: &Error{Class: "execution", Message: "exit code 4 is not in ok_codes [0]"}},
		}}
	roll := Step{ID: "restart", Status: StatusFailed,
		Error: &Error{Class: "execution", Message: "rollout stopped: batch 2 of 3 (items web-3 (#2) to web-4 (#3)) had 2 of 2 items fail, over max_fail_percentage 10%; item web-3 (#2): " + stderr + "; also failed: item web-4 (#3) (2 other items cancelled)"},
		Items: []Item{
			{Index: 0, Label: "web-1", Status: StatusSucceeded},
			{Index: 1, Label: "web-2", Status: StatusSucceeded},
			{Index: 2, Label: "web-3", Status: StatusFailed, Error: &Error{Class: "execution", Message: stderr}},
			{Index: 3, Label: "web-4", Status: StatusFailed, Error: &Error{Class: "execution", Message: stderr}},
			{Index: 4, Label: "web-5", Status: StatusCancelled, Reason: "not started: rollout stopped"},
			{Index: 5, Label: "web-6", Status: StatusCancelled, Reason: "not started: rollout stopped"},
		}}
	one := Step{ID: "one", Status: StatusFailed,
		Error: &Error{Class: "execution", Message: "item 1: exit code 3 is not in ok_codes [0]"},
		Items: []Item{{Index: 0, Status: StatusSucceeded}, {Index: 1, Status: StatusFailed, Error: &Error{Class: "execution", Message: "exit code 3 is not in ok_codes [0]"}}}}
	got := []string{stepNote(&matrix, textNoteLimit, false), stepNote(&roll, textNoteLimit, false), stepNote(&one, textNoteLimit, false)}
	want := []string{
		"4 items, 2 succeeded, 2 failed; 2 of 4 items failed: item darwin, 1.26 (#2); also failed: item windows, 1.26 (#3)",
		"6 items, 2 succeeded, 2 failed, 2 cancelled; rollout stopped: batch 2 … item web-3 (#2); also failed: item web-4 (#3)",
		"2 items, 1 succeeded, 1 failed; execution: item 1: exit code 3 is not in ok_codes [0]",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("notes (-want +got):\n%s", diff)
	}
}

// TestFanOutNoteKeepsTheFirstFailedItem: the note of a large fan-out whose
// failure continue_on_error ignored has little room left after its head;
// cut in its middle, it read "3 of 300 items failed: item … failed: item
// 149, item 298" and lost the first item that failed, whose error the
// rest of the run's log explains.
func TestFanOutNoteKeepsTheFirstFailedItem(t *testing.T) {
	fail := func(i int) Item {
		return Item{Index: i, Status: StatusFailed, Error: &Error{Class: "execution",
			Message: "exit code 2 is not in ok_codes [0]; stderr ends with:\nitem | bad"}}
	}
	s := Step{ID: "fan", Status: StatusFailed, Ignored: true,
		Error: &Error{Class: "execution", Message: "3 of 300 items failed: item 6: exit code 2 is not in ok_codes [0]; stderr ends with:\nitem | bad; also failed: item 149, item 298"}}
	for i := range 300 {
		it := Item{Index: i, Status: StatusSucceeded}
		if i == 6 || i == 149 || i == 298 {
			it = fail(i)
		}
		s.Items = append(s.Items, it)
	}
	got := stepNote(&s, textNoteLimit, false)
	want := "ignored: continue_on_error; 300 items, 297 succeeded, 3 failed; 3 of 300 … item 6; also failed: item 149, item 298"
	if got != want {
		t.Errorf("note\n got %q\nwant %q", got, want)
	}
}
