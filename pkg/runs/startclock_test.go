package runs

import (
	"context"
	"testing"
	"time"

	"github.com/arsenal-run/arsenal-run/pkg/auth"
	"github.com/arsenal-run/arsenal-run/pkg/history"
)

// A run's start row and its report say the same start, one reading of
// the clock: a start row whose started_at the end changes has the end
// rewrite its entries in the history's indexes. So for a run that runs,
// one its preflight denies and one cancelled while it waited for a
// place; and the history shows that start, and the report's duration.
func TestStartRowIsTheReportsStart(t *testing.T) {
	h, err := history.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	st := &startsStore{Store: h, starts: map[string]history.Run{}}
	m := newManager(t, Config{Store: st}, Limits{MaxRunning: 1, MaxQueued: 1})
	ctx := context.Background()
	noop := writePlaybook(t, "version: 1\nname: noop\nsteps:\n  - {id: a, op: control.noop}\n")

	ran, err := m.Start(ctx, Request{Path: noop})
	if err != nil {
		t.Fatal(err)
	}
	wait(t, ran)
	denied, err := m.Start(ctx, Request{Path: writePlaybook(t, "version: 1\nname: w\nsteps:\n  - {id: a, op: file.write, with: {path: never-written, content: x}}\n"),
		Caller: Caller{Roles: []string{auth.RoleViewer}}})
	if err != nil {
		t.Fatal(err)
	}
	wait(t, denied)
	running, err := m.Start(ctx, Request{Path: writePlaybook(t, sleeper)})
	if err != nil {
		t.Fatal(err)
	}
	waitRunning(t, running)
	queued, err := m.Start(ctx, Request{Path: noop})
	if err != nil {
		t.Fatal(err)
	}
	queued.Cancel(nil)
	wait(t, queued)
	running.Cancel(nil)
	wait(t, running)

	for _, c := range []struct {
		name string
		h    *Handle
	}{{"a run that ran", ran}, {"a denied run", denied}, {"a run cancelled while it ran", running}, {"a run cancelled while queued", queued}} {
		rep := c.h.Report()
		start, ok := st.start(c.h.ID())
		if !ok {
			t.Errorf("%s: no start recorded", c.name)
			continue
		}
		if !start.StartedAt.Equal(rep.StartedAt) {
			t.Errorf("%s: start recorded at %s, its report says %s", c.name, start.StartedAt.Format(time.RFC3339Nano), rep.StartedAt.Format(time.RFC3339Nano))
		}
		row, err := h.Get(ctx, c.h.ID())
		if err != nil {
			t.Fatal(err)
		}
		if want := rep.StartedAt.Truncate(time.Millisecond); !row.StartedAt.Equal(want) {
			t.Errorf("%s: history says started at %s, want %s", c.name, row.StartedAt.Format(time.RFC3339Nano), want.Format(time.RFC3339Nano))
		}
		if row.FinishedAt == nil || row.DurationMS != rep.DurationMS {
			t.Errorf("%s: history says finished at %v after %d ms, want %d ms", c.name, row.FinishedAt, row.DurationMS, rep.DurationMS)
		}
	}
}
