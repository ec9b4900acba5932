package runs

// Limits bound the runs of a Manager.
type Limits struct {
	// MaxRunning is how many runs execute at once (default 8).
	MaxRunning int
	// MaxQueued is how many more may wait for a slot (default 64; -1 for
	// none); past it Start returns ErrQueueFull.
	MaxQueued int
}

// callerWaiting counts the runs of API caller c that wait for a run slot
// or their group. One caller may hold at most half the places to wait in,
// so that one key's long runs (a read-only playbook that sleeps) cannot
// fill the line against every other caller. Scheduled runs are bounded
// by their scheduler instead. Called with m.mu held.
func (m *Manager) callerWaiting(c Caller) int {
	n := 0
	for h, w := range m.waiting {
		if !w.took && !w.ended && !w.withdrawn && h.caller.Trigger == c.Trigger && h.caller.Name == c.Name {
			n++
		}
	}
	return n
}
