package runs

import (
	"fmt"
	"slices"
	"sort"
	"time"
)

// What a queued run waits for (Place.For).
const (
	WaitsForSlot  = "max_running"       // a run slot: --max-running
	WaitsForGroup = "concurrency_group" // its concurrency group
	// WaitsForReplica: a replica to take it from the shared queue of
	// several (serve --state URL).
	WaitsForReplica = "replica"
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
	if !w.waits() {
		return nil
	}
	if w.inGroup {
		return m.groupPlace(w)
	}
	ahead := 0
	for o, ow := range m.waiting {
		if o != h && ow.waits() && !ow.inGroup && o.queued.Before(h.queued) {
			ahead++
		}
	}
	return m.slotPlace(ahead)
}

// Places is Place for each of hs, in their order, at one moment: a list
// of the runs (the API's) walks the waiting runs once, where a Place per
// run walked them once per run, a time that grew as the square of the
// runs waiting.
func (m *Manager) Places(hs []*Handle) []*Place {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make([]*Place, len(hs))
	var queue []time.Time // when the runs waiting for a slot were queued, sorted
	for i, h := range hs {
		w := m.waiting[h]
		switch {
		case !w.waits():
		case w.inGroup:
			out[i] = m.groupPlace(w)
		default:
			if queue == nil {
				queue = m.slotQueue()
			}
			// The runs queued before h, h not among them: the first
			// queued at h's time or later is where they end.
			ahead := sort.Search(len(queue), func(j int) bool { return !queue[j].Before(h.queued) })
			out[i] = m.slotPlace(ahead)
		}
	}
	return out
}

// slotQueue returns when each run that waits for a run slot was queued,
// in order; m.mu is held.
func (m *Manager) slotQueue() []time.Time {
	q := make([]time.Time, 0, len(m.waiting))
	for o, ow := range m.waiting {
		if ow.waits() && !ow.inGroup {
			q = append(q, o.queued)
		}
	}
	slices.SortFunc(q, time.Time.Compare)
	return q
}

// waits reports whether w, a run's waiter (nil for none), still waits.
func (w *waiter) waits() bool {
	return w != nil && !w.took && !w.ended && !w.withdrawn
}

// groupPlace is the place of w, waiting for its concurrency group.
func (m *Manager) groupPlace(w *waiter) *Place {
	return &Place{For: WaitsForGroup, Group: w.group, MaxRunning: cap(m.slots),
		Message: fmt.Sprintf("waiting for concurrency group %q", w.group)}
}

// SharedPlace is the place of a run waiting in the queue that several
// replicas share: not taken yet, behind ahead others; or taken by a
// replica (taken), where it waits for its concurrency group (inGroup:
// its playbook has one, which the run's inputs may name) or is about to
// start. MaxRunning is this process's bound, which is each replica's
// when they are alike.
func (m *Manager) SharedPlace(ahead int, taken, inGroup bool) *Place {
	p := &Place{For: WaitsForReplica, Ahead: ahead, MaxRunning: cap(m.slots)}
	switch {
	case taken && inGroup:
		p.For, p.Ahead = WaitsForGroup, 0
		p.Message = "taken by a replica, waiting there for its concurrency group"
	case taken:
		p.Ahead = 0
		p.Message = "taken by a replica, about to start there"
	default:
		p.Message = fmt.Sprintf("waiting in the shared queue for a replica to take it: %s ahead of it", runsWord(ahead))
	}
	return p
}

// slotPlace is the place of a run waiting for a run slot behind ahead
// others.
func (m *Manager) slotPlace(ahead int) *Place {
	p := &Place{For: WaitsForSlot, Ahead: ahead, MaxRunning: cap(m.slots)}
	p.Message = fmt.Sprintf("waiting for a run slot: %s ahead of it, and the %d of --max-running are taken", runsWord(p.Ahead), p.MaxRunning)
	return p
}

func runsWord(n int) string {
	if n == 1 {
		return "1 run"
	}
	return fmt.Sprintf("%d runs", n)
}
