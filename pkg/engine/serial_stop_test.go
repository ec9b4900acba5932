package engine

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/arsenal-run/arsenal-run/pkg/report"
)

// TestSerialStopSaysTheRolloutStopped: when max_fail_percentage stops a
// rollout, the step's error, and the run's after it, say so first, with
// the batch that went over, then name the items that failed, the first
// with its message: naming only the first failure, one the share had
// tolerated in an earlier batch, blamed it for the stop. The class stays
// the failure's.
func TestSerialStopSaysTheRolloutStopped(t *testing.T) {
	hosts := make([]string, 12)
	for i := range hosts {
		hosts[i] = fmt.Sprintf(`{"name": "web-%02d"}`, i)
	}
	e, _ := newEngine(t)
	rep := mustRun(t, plan(t, e, header+`
steps:
  - id: restart
    op: test.busy
    foreach: '[`+strings.Join(hosts, ", ")+`]'
    serial: 4
    max_fail_percentage: 25
    with: {fail: "${{ item.name in ['web-02', 'web-05', 'web-06'] }}"}
`), nil)
	// Batch 1: one of four failed (25%, not over); batch 2: two of four;
	// batch 3 does not start.
	const msg = "rollout stopped: batch 2 of 3 (items web-04 (#4) to web-07 (#7)) had 2 of 4 items fail, over max_fail_percentage 25%; " +
		"item web-02 (#2): busy failure; also failed: item web-05 (#5), item web-06 (#6) (4 other items cancelled)"
	type outcome struct {
		Status report.Status
		Error  *report.Error
	}
	s := stepOf(t, rep, "restart")
	want := outcome{report.StatusFailed, &report.Error{Class: "execution", Message: msg}}
	if diff := cmp.Diff(want, outcome{s.Status, s.Error}); diff != "" {
		t.Errorf("the step (-want +got):\n%s", diff)
	}
	want = outcome{report.StatusFailed, &report.Error{Class: "execution", Message: "step restart failed: " + msg}}
	if diff := cmp.Diff(want, outcome{rep.Status, rep.Error}); diff != "" {
		t.Errorf("the run (-want +got):\n%s", diff)
	}

	// Past five, the other failures are counted, not named. (One at a
	// time, so that item 0 fails first.)
	rep = mustRun(t, plan(t, e, header+`
steps:
  - {id: fan, op: test.busy, foreach: 0..11, serial: 8, concurrency: 1, max_fail_percentage: 0, with: {fail: "${{ item < 8 }}"}}
`), nil)
	got := stepOf(t, rep, "fan").Error.Message
	if want := "rollout stopped: batch 1 of 2 (items 0 to 7) had 8 of 8 items fail, over max_fail_percentage 0%; item 0: busy failure; " +
		"also failed: item 1, item 2, item 3, item 4, item 5 and 2 more (4 other items cancelled)"; got != want {
		t.Errorf("the step's error:\n%s\nwant\n%s", got, want)
	}
}

// TestSerialStopByDenials: a rollout stopped because its items were
// denied says they were denied, not that they failed.
func TestSerialStopByDenials(t *testing.T) {
	e, _ := newEngine(t, WithAuthorizer(denyWrites{}))
	rep := mustRun(t, plan(t, e, header+`
steps:
  - {id: put, op: test.write, foreach: 0..3, serial: 2, max_fail_percentage: 0}
`), nil)
	s := stepOf(t, rep, "put")
	// Items 0 and 1 run at once: the error leads with the one denied
	// first in time, either.
	const head = "rollout stopped: batch 1 of 2 (items 0 to 1) had 2 of 2 items denied, over max_fail_percentage 0%; "
	want := []string{
		head + "item 0: denied: writes are not allowed; also denied: item 1 (2 other items cancelled)",
		head + "item 1: denied: writes are not allowed; also denied: item 0 (2 other items cancelled)",
	}
	if s.Status != report.StatusDenied || s.Error == nil || !slices.Contains(want, s.Error.Message) {
		t.Errorf("the step: %s %+v\nwant denied, one of %q", s.Status, s.Error, want)
	}
}

// TestSerialStopNamesTheBatchByItsHosts: the batch that stopped a rollout
// is named by its hosts, as items are: its indexes alone ("items 2 to 3"),
// beside hosts named web-1 up, pointed at web-2 and web-3, not at the
// web-3 and web-4 that ran in it.
func TestSerialStopNamesTheBatchByItsHosts(t *testing.T) {
	e, _ := newEngine(t)
	const hosts = `'[{"name": "web-1"}, {"name": "web-2"}, {"name": "web-3"}, {"name": "web-4"}, {"name": "web-5"}, {"name": "web-6"}]'`
	for _, tc := range []struct{ serial, want string }{
		{"2", "not started: batch 2 of 3 (items web-3 (#2) to web-4 (#3)) had 1 of 2 items fail, over max_fail_percentage 0%"},
		{"1", "not started: batch 3 of 6 (item web-3 (#2)) failed, over max_fail_percentage 0%"},
	} {
		rep := mustRun(t, plan(t, e, header+`
steps:
  - id: restart
    op: test.busy
    foreach: `+hosts+`
    serial: `+tc.serial+`
    max_fail_percentage: 0
    with: {fail: "${{ item.name == 'web-3' }}"}
`), nil)
		if got := stepOf(t, rep, "restart").Items[5].Reason; got != tc.want {
			t.Errorf("serial %s: web-6 not started for\n%s\nwant\n%s", tc.serial, got, tc.want)
		}
	}
}
