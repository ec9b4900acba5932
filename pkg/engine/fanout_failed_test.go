package engine

import (
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/arsenal-run/arsenal-run/pkg/report"
)

// TestFanoutErrorNamesEveryFailedItem: when several items of a fan-out
// fail, the step's error, and the run's after it, count them and name the
// others after the first's message, up to five, the rest counted. Naming
// the first alone told a reader that web-2 had failed, not that eight of
// twelve hosts had. One failed item keeps its message alone.
func TestFanoutErrorNamesEveryFailedItem(t *testing.T) {
	hosts := make([]string, 12)
	for i := range hosts {
		hosts[i] = fmt.Sprintf(`{"name": "web-%d"}`, i+1)
	}
	e, _ := newEngine(t)
	for _, tc := range []struct{ fail, want string }{
		{"['web-2']", "item web-2 (#1): busy failure"},
		{"['web-2', 'web-12']", "2 of 12 items failed: item web-2 (#1): busy failure; also failed: item web-12 (#11)"},
		{"['web-2', 'web-4', 'web-5', 'web-6', 'web-7', 'web-8', 'web-9', 'web-10']",
			"8 of 12 items failed: item web-2 (#1): busy failure; also failed: item web-4 (#3), item web-5 (#4), item web-6 (#5), item web-7 (#6), item web-8 (#7) and 2 more"},
	} {
		// One at a time, so that the first to fail is the first in order.
		rep := mustRun(t, plan(t, e, header+`
steps:
  - id: restart
    op: test.busy
    foreach: '[`+strings.Join(hosts, ", ")+`]'
    fail_fast: false
    with: {fail: "${{ item.name in `+tc.fail+` }}"}
`), nil)
		type outcome struct {
			Status report.Status
			Error  *report.Error
		}
		want := outcome{report.StatusFailed, &report.Error{Class: "execution", Message: tc.want}}
		if diff := cmp.Diff(want, outcome{stepOf(t, rep, "restart").Status, stepOf(t, rep, "restart").Error}); diff != "" {
			t.Errorf("%s: the step (-want +got):\n%s", tc.fail, diff)
		}
		want.Error = &report.Error{Class: "execution", Message: "step restart failed: " + tc.want}
		if diff := cmp.Diff(want, outcome{rep.Status, rep.Error}); diff != "" {
			t.Errorf("%s: the run (-want +got):\n%s", tc.fail, diff)
		}
	}
}
