package ops

import (
	"cmp"
	"context"
	"slices"
)

// Grow adds n bytes to h, waiting for them ahead of new holds. It returns
// false, holding nothing more, when h plus n would be more than the whole
// limit, or when h is released before or while it waits.
//
// Within the hold's claim a growth is always granted in the end: the pool
// kept room for it. Past the claim (a step that learns only now what it
// needs, as http.request the size of a JSON body decoded) the claim grows
// with it, and the growth waits until the pool can give it safely; when
// every hold of the pool waits so and none can be given (none could
// release), the first past its claim is refused with ErrOutputMemoryBusy
// rather than all waiting for ever or the pool being passed.
func (h *OutputHold) Grow(ctx context.Context, n int64) (bool, error) {
	m := h.m
	if m == nil || n <= 0 {
		return true, nil
	}
	m.mu.Lock()
	if h.released || h.n+n > m.limit {
		m.mu.Unlock()
		return false, nil
	}
	claim := max(h.claim, h.n+n)
	if len(m.growing) == 0 && m.safe(h, n, claim) {
		// Given at once, as dispatch would: no waiter, nor its channel.
		m.grant(h, n, claim)
		m.mu.Unlock()
		return true, nil
	}
	w := &waiter{h: h, n: n, claim: claim, ready: make(chan struct{})}
	m.growing = append(m.growing, w)
	m.dispatch()
	m.mu.Unlock()
	select {
	case <-w.ready:
		if w.refused {
			return false, ErrOutputMemoryBusy
		}
		return !w.gone, nil
	case <-ctx.Done():
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	select {
	case <-w.ready: // granted meanwhile: held until Release
	default:
		m.growing = remove(m.growing, w)
		m.dispatch()
	}
	return false, context.Cause(ctx)
}

// Keep gives back what h holds past n bytes: a hold taken for the most a
// step could need, once it knows what it does. Its claim stays: what it
// gives back is room the pool has again for it as for the others.
func (h *OutputHold) Keep(n int64) {
	m := h.m
	if m == nil {
		return
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	n = max(n, 0)
	if h.released || n >= h.n {
		return
	}
	m.used -= h.n - n
	h.n = n
	m.dispatch()
}

// dispatch grants what can be given safely: growths first, any of them
// in order, then, once no growth waits, new holds in order, a new hold
// that cannot be given stopping the ones behind it: new holds that each
// fit would otherwise take, one after another, the room a waiting growth
// needs. When every hold waits to grow and none
// can be given, the first growth past its claim is refused. m.mu is held.
func (m *OutputMemory) dispatch() {
	for {
		for i := 0; i < len(m.growing); {
			w := m.growing[i]
			if m.safe(w.h, w.n, w.claim) {
				m.growing = append(m.growing[:i:i], m.growing[i+1:]...)
				m.give(w)
				continue
			}
			i++
		}
		for len(m.growing) == 0 && len(m.waiting) > 0 && m.safe(nil, m.waiting[0].n, m.waiting[0].claim) {
			w := m.waiting[0]
			m.waiting = m.waiting[1:]
			m.give(w)
		}
		if !m.stuck() {
			return
		}
		// Every hold waits and none can be given: a growth within its
		// claim always can (the pool kept room for it), so one past its
		// claim gives way. (Only a limit lowered under the claims could
		// leave none such: then the first gives way.)
		i := max(slices.IndexFunc(m.growing, func(w *waiter) bool { return w.h.n+w.n > w.h.claim }), 0)
		w := m.growing[i]
		m.growing = append(m.growing[:i:i], m.growing[i+1:]...)
		w.refused = true
		close(w.ready)
	}
}

// stuck reports whether every hold of the pool waits to grow. m.mu is
// held.
func (m *OutputMemory) stuck() bool {
	if len(m.growing) == 0 || len(m.growing) < len(m.holds) {
		return false
	}
	waits := make(map[*OutputHold]bool, len(m.growing))
	for _, w := range m.growing {
		waits[w.h] = true
	}
	return len(waits) == len(m.holds)
}

// need is a hold's bytes and what it may still grow by, for safe.
type need struct{ more, held int64 }

// safe reports whether the pool, once h (nil for a new hold) holds n
// bytes more and may grow to claim, can still give every hold its claim:
// one after another, each given back before the next must have it all.
// m.mu is held.
func (m *OutputMemory) safe(h *OutputHold, n, claim int64) bool {
	free := m.limit - m.used - n
	if free < 0 {
		return false
	}
	needs, most := m.scratch[:0], int64(0)
	add := func(held, claim int64) {
		more := max(claim-held, 0)
		needs = append(needs, need{more, held})
		most = max(most, more)
	}
	for x := range m.holds {
		if x == h {
			add(x.n+n, claim)
		} else {
			add(x.n, x.claim)
		}
	}
	if h == nil {
		add(n, claim)
	}
	m.scratch = needs[:0]
	if most <= free {
		return true
	}
	slices.SortFunc(needs, func(a, b need) int { return cmp.Compare(a.more, b.more) })
	for _, x := range needs {
		if x.more > free {
			return false
		}
		free += x.held
	}
	return true
}

// Held returns the bytes h holds.
func (h *OutputHold) Held() int64 {
	if h == nil || h.m == nil {
		return 0
	}
	h.m.mu.Lock()
	defer h.m.mu.Unlock()
	return h.n
}
