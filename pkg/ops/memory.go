package ops

import (
	"context"
	"fmt"
	"sync"

	"github.com/arsenal-run/arsenal-run/internal/fsx"
)

// DefaultOutputMemory is how many bytes the operations of one registry (of
// one process: run, schedule or serve) may hold at once for the outputs
// they are building: file.read's content, http.request's body and its
// decoded JSON. It is more than the largest single step needs (a 64 MiB
// file.read in base64 holds about 150 MiB), so by default a step is never
// refused, only made to wait while others hold the rest.
const DefaultOutputMemory = 256 << 20

// OutputMemorySetting names how an operator raises the limit; refusals
// quote it.
const OutputMemorySetting = "arsenal-run serve --max-output-memory MIB"

// OutputMemory bounds the bytes the operations of a registry hold at once
// while they build their outputs, across every step, fan-out item and run
// of the process: a fan-out of a thousand 64 MiB reads waits for room
// instead of holding 150 GB. What a finished run keeps is bounded by its
// own output budget (the engine's DefaultOutputBudget); this bounds what
// is in flight. Waiters are served in order, so a large hold is not
// starved by small ones. It is safe for concurrent use.
type OutputMemory struct {
	mu      sync.Mutex
	limit   int64
	used    int64
	holders int       // holds not yet released
	waiting []*waiter // new holds, in order
	growing []*waiter // holds that want more, in order; served first
	peak    int64     // the most used at once, for tests and numbers
}

type waiter struct {
	n     int64
	ready chan struct{} // closed when granted
}

// NewOutputMemory returns a pool of limit bytes (DefaultOutputMemory when
// limit <= 0).
func NewOutputMemory(limit int64) *OutputMemory {
	m := &OutputMemory{}
	m.SetLimit(limit)
	return m
}

// SetLimit changes the limit (DefaultOutputMemory when limit <= 0); holds
// already granted keep their bytes.
func (m *OutputMemory) SetLimit(limit int64) {
	if limit <= 0 {
		limit = DefaultOutputMemory
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.limit = limit
	m.dispatch()
}

// Limit returns the limit in bytes.
func (m *OutputMemory) Limit() int64 {
	if m == nil {
		return 0
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.limit
}

// Used returns the bytes held now and the most held at once so far.
func (m *OutputMemory) Used() (now, peak int64) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.used, m.peak
}

// OutputHold is bytes held in an OutputMemory, until Release.
type OutputHold struct {
	m        *OutputMemory
	n        int64
	released bool
}

// Hold takes n bytes for what (a description such as "file.read of 64
// MiB in base64"), waiting in turn for room while others hold them. It
// refuses at once, with an error of class execution that names the limit
// and how to raise it, n larger than the whole limit, which no wait would
// give; and it returns the context's cause when ctx ends first. When it
// must wait it tells the step once (Call.Message), so that a slow step
// says why. A nil OutputMemory holds nothing and never waits.
func (m *OutputMemory) Hold(ctx context.Context, n int64, what string) (*OutputHold, error) {
	if m == nil {
		return &OutputHold{}, nil
	}
	n = max(n, 0)
	m.mu.Lock()
	if n > m.limit {
		limit := m.limit
		m.mu.Unlock()
		return nil, Errorf(ClassExecution, "%s would hold %s at once, more than the %s the process lets operations hold while they build their outputs (%s); "+
			"ask for fewer bytes (max_bytes), or raise the limit", what, fsx.Size(n), fsx.Bytes(limit), OutputMemorySetting)
	}
	if len(m.waiting) == 0 && len(m.growing) == 0 && m.used+n <= m.limit {
		m.grant(n)
		m.holders++
		m.mu.Unlock()
		return &OutputHold{m: m, n: n}, nil
	}
	w := &waiter{n: n, ready: make(chan struct{})}
	m.waiting = append(m.waiting, w)
	used, limit := m.used, m.limit
	m.mu.Unlock()
	if msg := CallFrom(ctx).Message; msg != nil {
		msg("info", fmt.Sprintf("%s waits for %s of memory: other steps hold %s of the %s operations may hold at once (%s)",
			what, fsx.Size(n), fsx.Size(used), fsx.Bytes(limit), OutputMemorySetting))
	}
	select {
	case <-w.ready:
		return &OutputHold{m: m, n: n}, nil
	case <-ctx.Done():
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	select {
	case <-w.ready: // granted meanwhile: given back
		m.used -= n
		m.holders--
		m.dispatch()
	default:
		m.waiting = remove(m.waiting, w)
		m.dispatch() // a large waiter gone may let smaller ones through
	}
	return nil, context.Cause(ctx)
}

// Grow adds n bytes to h, waiting for them ahead of new holds. It returns
// false, holding nothing more, when h plus n would be more than the whole
// limit. A hold that grows waits for others to release; when every hold
// of the pool waits to grow (none could release), the first is let
// through past the limit rather than all waiting for ever: the bytes held
// are then at most the limit and that one growth.
func (h *OutputHold) Grow(ctx context.Context, n int64) (bool, error) {
	m := h.m
	if m == nil || n <= 0 {
		return true, nil
	}
	m.mu.Lock()
	if h.n+n > m.limit {
		m.mu.Unlock()
		return false, nil
	}
	w := &waiter{n: n, ready: make(chan struct{})}
	m.growing = append(m.growing, w)
	m.dispatch()
	m.mu.Unlock()
	select {
	case <-w.ready:
		h.n += n
		return true, nil
	case <-ctx.Done():
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	select {
	case <-w.ready:
		h.n += n
	default:
		m.growing = remove(m.growing, w)
		m.dispatch()
	}
	return false, context.Cause(ctx)
}

// Keep gives back what h holds past n bytes: a hold taken for the most
// a step could need, once it knows what it does.
func (h *OutputHold) Keep(n int64) {
	m := h.m
	if m == nil || h.released || n >= h.n {
		return
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.used -= h.n - max(n, 0)
	h.n = max(n, 0)
	m.dispatch()
}

// Release gives the bytes back; later calls do nothing.
func (h *OutputHold) Release() {
	if h == nil || h.m == nil || h.released {
		return
	}
	h.released = true
	m := h.m
	m.mu.Lock()
	defer m.mu.Unlock()
	m.used -= h.n
	m.holders--
	m.dispatch()
}

// grant adds n to what is used; m.mu is held.
func (m *OutputMemory) grant(n int64) {
	m.used += n
	m.peak = max(m.peak, m.used)
}

// dispatch grants what fits, growths first, then new holds in order; a
// new hold that does not fit stops the ones behind it. m.mu is held.
func (m *OutputMemory) dispatch() {
	for len(m.growing) > 0 {
		w := m.growing[0]
		// Every hold waits to grow: nothing will be released.
		stuck := len(m.growing) >= m.holders
		if m.used+w.n > m.limit && !stuck {
			return
		}
		m.growing = m.growing[1:]
		m.grant(w.n)
		close(w.ready)
	}
	for len(m.waiting) > 0 && m.used+m.waiting[0].n <= m.limit {
		w := m.waiting[0]
		m.waiting = m.waiting[1:]
		m.grant(w.n)
		m.holders++
		close(w.ready)
	}
}

func remove(ws []*waiter, w *waiter) []*waiter {
	for i, x := range ws {
		if x == w {
			return append(ws[:i:i], ws[i+1:]...)
		}
	}
	return ws
}
