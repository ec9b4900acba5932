package runs

import (
	"slices"
	"strings"
)

// Get finds a live or recently ended run of this process by id.
func (m *Manager) Get(id string) (*Handle, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if h, ok := m.runs[id]; ok {
		return h, true
	}
	for _, h := range m.ended {
		if h.id == id {
			return h, true
		}
	}
	return nil, false
}

// Active lists the queued and running runs, oldest first, and runs
// queued in the same instant by run id, so that a list polled twice
// keeps its order.
func (m *Manager) Active() []*Handle {
	m.mu.Lock()
	out := make([]*Handle, 0, len(m.runs))
	for _, h := range m.runs {
		out = append(out, h)
	}
	m.mu.Unlock()
	slices.SortFunc(out, func(a, b *Handle) int {
		if c := a.queued.Compare(b.queued); c != 0 {
			return c
		}
		return strings.Compare(a.id, b.id)
	})
	return out
}

// Started returns a channel closed once the run h of Start has taken its
// run slot and starts: at once for a run that got one at Start. It is
// never closed for a run that ends without starting (cancelled or
// withdrawn while it waited, or shut down before it started); select on
// h.Done() too. Ask while the run is live: for a run that has ended it
// returns a closed channel.
func (m *Manager) Started(h *Handle) <-chan struct{} {
	m.mu.Lock()
	defer m.mu.Unlock()
	if w := m.waiting[h]; w != nil {
		return w.started
	}
	return closedCh
}

// Withdraw takes back the run h of Start while it waits for a run slot:
// it never starts, it is not recorded, and it ends with ErrWithdrawn
// (Wait returns it). It returns false, and changes nothing, when the run
// has taken its slot, has ended, or waits for its concurrency group (a
// group's wait records its own outcomes; cancel such a run instead). A
// front end that stops (the scheduler) withdraws the runs that have not
// started, and records them its own way.
func (m *Manager) Withdraw(h *Handle) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	w := m.waiting[h]
	if w == nil || w.took || w.inGroup || w.ended {
		return false
	}
	if !w.withdrawn {
		w.withdrawn = true
		close(w.withdraw)
	}
	return true
}

// Queued returns how many runs wait for a slot.
func (m *Manager) Queued() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.queued
}
