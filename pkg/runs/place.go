package runs

import "fmt"

// What a queued run waits for (Place.For).
const (
	WaitsForSlot  = "max_running"       // a run slot: --max-running
	WaitsForGroup = "concurrency_group" // its concurrency group
)

// Place is where a run queued in this process stands: what it waits for
// and, for a run slot, how many runs wait before it, so that a reader
// knows why it has not started and whether to raise --max-running.
type Place struct {
	For        string `json:"for"`
	Group      string `json:"group,omitempty"`
	Ahead      int    `json:"ahead"`
	MaxRunning int    `json:"max_running"`
	Message    string `json:"message"`
}

// Place says where run h stands while it waits; nil once it took its
// slot, ended, or when it never waited. Ahead counts the runs that wait
// for a slot and were queued before h: slots are given in about that
// order.
func (m *Manager) Place(h *Handle) *Place {
	m.mu.Lock()
	defer m.mu.Unlock()
	w := m.waiting[h]
	if w == nil || w.took || w.ended || w.withdrawn {
		return nil
	}
	p := &Place{MaxRunning: cap(m.slots)}
	if w.inGroup {
		p.For, p.Group = WaitsForGroup, w.group
		p.Message = fmt.Sprintf("waiting for concurrency group %q", w.group)
		return p
	}
	p.For = WaitsForSlot
	for o, ow := range m.waiting {
		if o != h && !ow.inGroup && !ow.took && !ow.ended && !ow.withdrawn && o.queued.Before(h.queued) {
			p.Ahead++
		}
	}
	p.Message = fmt.Sprintf("waiting for a run slot: %s ahead of it, and the %d of --max-running are taken", runsWord(p.Ahead), p.MaxRunning)
	return p
}

func runsWord(n int) string {
	if n == 1 {
		return "1 run"
	}
	return fmt.Sprintf("%d runs", n)
}
