package engine

// observed reports whether anyone receives this run's events.
func (r *run) observed() bool { return r.p.e.observer != nil || r.o.observer != nil }

func (r *run) emit(ev Event) {
	if !r.observed() {
		return
	}
	ev.RunID = r.id
	ev.ParentRunID, ev.ParentStep = r.o.parent, r.o.parentStep
	ev.Time = r.p.e.clock.Now()
	if o := r.p.e.observer; o != nil {
		o.Event(ev)
	}
	if o := r.o.observer; o != nil {
		o.Event(ev)
	}
}

// emitCall emits an event about a call: its step, op and item. An item's
// events carry its label, as its item_started and item_finished do: of a
// fan-out over 73 hosts, "[19]" names none a reader knows. The label is
// the one the fan-out made for the item, masked and cut once.
func (r *run) emitCall(c *Call, ev Event) {
	if r == nil || !r.observed() {
		return
	}
	ev.Step, ev.Op, ev.Section = c.Step.ID, c.Step.Op, string(c.Step.Section)
	if c.Index >= 0 {
		i := c.Index
		ev.Index = &i
		ev.Label = c.label
	}
	r.emit(ev)
}

// maskText masks the run's secrets in s.
func (r *run) maskText(s string) string {
	if r == nil {
		return s
	}
	return r.red.String(s)
}

// message publishes an operation's message about call c (ops.Call.Message).
// An operation may speak after its step has ended, as the supervisor of a
// process the step started does when it restarts the process: its words
// belong to the run while the run goes on, and are dropped once the run
// has finished, whose events are over.
func (r *run) message(c *Call, level, text string) {
	r.endMu.RLock()
	defer r.endMu.RUnlock()
	if r.ended {
		return
	}
	r.emitCall(c, Event{Kind: EventLog, Level: level, Message: r.maskText(text)})
}

// end marks the run finished for the messages that come late: once it
// returns, none is emitted any more.
func (r *run) end() {
	r.endMu.Lock()
	r.ended = true
	r.endMu.Unlock()
}
