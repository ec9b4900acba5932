package ops

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"

	"github.com/arsenal-run/arsenal-run/internal/fsx"
)

// DefaultOutputMemory is how many bytes the operations of one registry (of
// one process: run, schedule or serve) may hold at once for the outputs
// they are building: file.read's content, http.request's body and its
// decoded JSON, the stdout and stderr a shell.exec, ssh.exec or plugin step
// keeps. It is more than the largest single step needs (a 64 MiB file.read
// in base64 holds about 150 MiB), so by default a step is never refused,
// only made to wait while others hold the rest.
const DefaultOutputMemory = 256 << 20

// OutputMemorySetting names how an operator raises the limit; refusals
// quote it. run, schedule and serve take the flag alike.
const OutputMemorySetting = "--max-output-memory MIB of arsenal-run run, schedule or serve"

// ErrOutputMemoryBusy is the error of a growth past what its hold said it
// could grow to (see OutputHold.Grow) that was refused because every other
// step holding output memory waited too: one of them had to give way, or
// the pool would have been passed.
var ErrOutputMemoryBusy = errors.New("the other steps building outputs held the rest of the output memory and waited for more themselves")

// OutputMemory bounds the bytes the operations of a registry hold at once
// while they build their outputs, across every step, fan-out item and run
// of the process: a fan-out of a thousand 64 MiB reads waits for room
// instead of holding 150 GB. What a finished run keeps is bounded by its
// own output budget (the engine's DefaultOutputBudget); this bounds what
// is in flight.
//
// A hold says at once the most it may grow to (its claim), and the pool
// grants bytes only while it can still give every hold its claim, one
// after another (the banker's rule): holds that grow as their output comes
// never wait for each other for ever, and the bytes held never pass the
// limit. New holds are served in order, so a large hold is not starved by
// small ones. It is safe for concurrent use.
type OutputMemory struct {
	mu      sync.Mutex
	limit   int64
	used    int64
	holds   map[*OutputHold]struct{} // granted, not released
	waiting []*waiter                // new holds, in order
	growing []*waiter                // holds that want more, in order; served first
	peak    int64                    // the most used at once, for tests and numbers
	scratch []need                   // safe's, kept between calls
}

type waiter struct {
	h       *OutputHold // the hold that grows, or the new hold
	n       int64       // bytes wanted
	claim   int64       // the hold's claim once granted
	ready   chan struct{}
	refused bool // a growth past the claim given way (ErrOutputMemoryBusy)
	gone    bool // a growth of a hold released while it waited
}

// NewOutputMemory returns a pool of limit bytes (DefaultOutputMemory when
// limit <= 0).
func NewOutputMemory(limit int64) *OutputMemory {
	m := &OutputMemory{holds: map[*OutputHold]struct{}{}}
	m.SetLimit(limit)
	return m
}

// SetLimit changes the limit (DefaultOutputMemory when limit <= 0). The
// arsenal-run commands set it once, before any step runs (a reload does
// not change it); a program embedding arsenal-run may lower it while
// steps hold memory. Holds already granted keep their bytes, but a claim
// past the new limit is cut to it (to what the hold holds, when more):
// kept, it could never be given, and the pool would give nothing more to
// any step until that one ended. A new hold waiting with such a claim is
// refused as one asked now would be, and a growth waiting to pass the
// new limit is refused (Grow returns false).
func (m *OutputMemory) SetLimit(limit int64) {
	if limit <= 0 {
		limit = DefaultOutputMemory
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.limit = limit
	for h := range m.holds {
		h.claim = max(h.n, min(h.claim, limit))
	}
	m.waiting = slices.DeleteFunc(m.waiting, func(w *waiter) bool {
		if w.claim <= limit {
			return false
		}
		w.refused = true
		close(w.ready)
		return true
	})
	m.growing = slices.DeleteFunc(m.growing, func(w *waiter) bool {
		if w.h.n+w.n <= limit {
			return false
		}
		w.gone = true
		close(w.ready)
		return true
	})
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
	n        int64 // held
	claim    int64 // the most it may grow to without asking past it
	released bool
}

// Hold takes n bytes for what, which will not grow: HoldUpTo(ctx, n, n,
// what).
func (m *OutputMemory) Hold(ctx context.Context, n int64, what string) (*OutputHold, error) {
	return m.HoldUpTo(ctx, n, n, what)
}

// HoldUpTo takes n bytes for what (a description such as "file.read of
// 64 MiB in base64"), which may grow (Grow) up to claim bytes as its
// output comes, waiting in turn for room while others hold it. It refuses
// at once, with an error of class execution that names the limit and how
// to raise it, a claim larger than the whole limit, which no wait would
// give; and it returns the context's cause when ctx ends first. When it
// must wait it tells the step once (Call.Message), so that a slow step
// says why. A nil OutputMemory holds nothing and never waits.
func (m *OutputMemory) HoldUpTo(ctx context.Context, n, claim int64, what string) (*OutputHold, error) {
	return m.HoldUpToFor(ctx, n, claim, func() string { return what })
}

// HoldUpToFor is HoldUpTo with what made only when it is said (a wait, a
// refusal): a step given its hold at once builds no description.
func (m *OutputMemory) HoldUpToFor(ctx context.Context, n, claim int64, what func() string) (*OutputHold, error) {
	if m == nil {
		return &OutputHold{}, nil
	}
	n = max(n, 0)
	claim = max(claim, n)
	m.mu.Lock()
	if claim > m.limit {
		limit := m.limit
		m.mu.Unlock()
		return nil, tooLarge(what(), claim, limit)
	}
	if len(m.waiting) == 0 && len(m.growing) == 0 && m.safe(nil, n, claim) {
		// Given at once: no waiter, nor its channel.
		h := &OutputHold{m: m}
		m.grant(h, n, claim)
		m.mu.Unlock()
		return h, nil
	}
	w := &waiter{h: &OutputHold{m: m}, n: n, claim: claim, ready: make(chan struct{})}
	m.waiting = append(m.waiting, w)
	used, limit := m.used, m.limit
	m.mu.Unlock()
	if msg := CallFrom(ctx).Message; msg != nil {
		size := fsx.Size(n)
		if claim > n { // held as its output comes
			size = "room for up to " + fsx.Size(claim)
		}
		msg("info", fmt.Sprintf("%s waits for %s of memory: other steps hold %s of the %s operations may hold at once (%s)",
			what(), size, fsx.Size(used), fsx.Bytes(limit), OutputMemorySetting))
	}
	select {
	case <-w.ready:
		if w.refused { // the limit was lowered under it (SetLimit)
			return nil, tooLarge(what(), claim, m.Limit())
		}
		return w.h, nil
	case <-ctx.Done():
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	select {
	case <-w.ready: // granted meanwhile, or refused: given back
		if !w.refused {
			m.drop(w.h)
		}
	default:
		m.waiting = remove(m.waiting, w)
		m.dispatch() // a large waiter gone may let smaller ones through
	}
	return nil, context.Cause(ctx)
}

// tooLarge is the error of a hold of what whose claim is more than the
// whole limit.
func tooLarge(what string, claim, limit int64) error {
	return Errorf(ClassExecution, "%s would hold %s at once, more than the %s the process lets operations hold while they build their outputs (%s); "+
		"ask for fewer bytes (max_bytes, max_output), or raise the limit", what, fsx.Size(claim), fsx.Bytes(limit), OutputMemorySetting)
}

// Release gives the bytes back; later calls do nothing.
func (h *OutputHold) Release() {
	if h == nil || h.m == nil {
		return
	}
	m := h.m
	m.mu.Lock()
	defer m.mu.Unlock()
	if !h.released {
		m.drop(h)
	}
}

// drop releases h, and ends the growths of h that wait (a process still
// writing as its step ends): granted later, their bytes would be held by
// a hold nobody releases. m.mu is held.
func (m *OutputMemory) drop(h *OutputHold) {
	h.released = true
	m.used -= h.n
	h.n, h.claim = 0, 0
	delete(m.holds, h)
	m.growing = slices.DeleteFunc(m.growing, func(w *waiter) bool {
		if w.h != h {
			return false
		}
		w.gone = true
		close(w.ready)
		return true
	})
	m.dispatch()
}

// give grants w, a new hold or a growth, and tells its waiter; m.mu is
// held.
func (m *OutputMemory) give(w *waiter) {
	m.grant(w.h, w.n, w.claim)
	close(w.ready)
}

// grant adds n bytes to h, which may grow to claim; m.mu is held.
func (m *OutputMemory) grant(h *OutputHold, n, claim int64) {
	h.n += n
	h.claim = max(claim, h.n)
	m.holds[h] = struct{}{}
	m.used += n
	m.peak = max(m.peak, m.used)
}

func remove(ws []*waiter, w *waiter) []*waiter {
	for i, x := range ws {
		if x == w {
			return append(ws[:i:i], ws[i+1:]...)
		}
	}
	return ws
}
