package runs

import (
	"context"
	"fmt"
	"testing"
)

// TestGroupRunThatStartsAtOnceIsNotQueued: a run of a concurrency group
// that is free, with a run slot free, has started when Start returns, as
// a run without a group has: a front end that answers at once (the API's
// POST) says running, not queued with a place in no line. One that finds
// its group busy, or every slot taken, still says what it waits for.
func TestGroupRunThatStartsAtOnceIsNotQueued(t *testing.T) {
	backends(t, func(t *testing.T, stateDir bool) {
		cfg := Config{LockDir: t.TempDir()}
		if stateDir {
			cfg = Config{StateDir: t.TempDir()}
		}
		m := newManager(t, cfg, Limits{MaxRunning: 2})
		path := writePlaybook(t, fmt.Sprintf(grouped, "queue"))
		long := map[string]string{"nap": "1h"}
		h1, err := m.Start(context.Background(), Request{Path: path, InputText: long})
		if err != nil {
			t.Fatal(err)
		}
		select {
		case <-m.Started(h1):
		default:
			t.Errorf("a run of a free group, with a slot free, had not started when Start returned: it waits for %+v", m.Place(h1))
		}
		if p := m.Place(h1); p != nil {
			t.Errorf("the run that started at once has a place in line: %+v", p)
		}

		h2, err := m.Start(context.Background(), Request{Path: path, InputText: long})
		if err != nil {
			t.Fatal(err)
		}
		select {
		case <-m.Started(h2):
			t.Error("a run of a busy group started")
		default:
		}
		if p := m.Place(h2); p == nil || p.For != WaitsForGroup {
			t.Errorf("a run of a busy group waits for %+v, want its group", p)
		}

		// The other slot is taken by a run of another group: a run of a
		// third, free, group waits for a slot.
		other := map[string]string{"nap": "1h", "service": "web"}
		h3, err := m.Start(context.Background(), Request{Path: path, InputText: other})
		if err != nil {
			t.Fatal(err)
		}
		waitRunning(t, h3)
		h4, err := m.Start(context.Background(), Request{Path: path, InputText: map[string]string{"service": "db"}})
		if err != nil {
			t.Fatal(err)
		}
		if p := m.Place(h4); p == nil || p.For != WaitsForSlot {
			t.Errorf("a run of a free group, every slot taken, waits for %+v, want a run slot", p)
		}
		for _, h := range []*Handle{h1, h2, h3, h4} {
			h.Cancel(nil)
		}
		for _, h := range []*Handle{h1, h2, h3, h4} {
			wait(t, h)
		}
	})
}
