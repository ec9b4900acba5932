package server

import (
	"net/netip"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/time/rate"

	"github.com/arsenal-run/arsenal-run/pkg/auth"
)

// addrLimiter counts failed authentications per client address in token
// buckets, an IPv6 address's in its /64's (bucketOf). Idle buckets are
// dropped, so the table stays bounded by the addresses that failed
// recently. Past maxAddrs, an address the table has no room for is
// counted in the overflow sketch, which both the check before a request
// (blocked) and its failure (fail) read: such an address is slowed like
// one in the table, and many addresses filling the table do not lock out
// the new ones that did not fail.
type addrLimiter struct {
	rate  auth.Rate
	now   func() time.Time
	mu    sync.Mutex
	byIP  map[string]*addrEntry
	over  *overflow // nil until the table was first full
	swept time.Time
	// counting is set, under mu, while byIP has an entry or over is in
	// use: until an address fails, every request's check (blocked) is an
	// atomic load, not the lock every request of the server took in turn.
	counting atomic.Bool
}

type addrEntry struct {
	lim  *rate.Limiter
	last time.Time
}

const (
	maxAddrs   = 100_000
	sweepEvery = time.Minute
	// sweepFull is how often a full table is swept: each sweep reads
	// every entry, and a client keeping the table full must not make
	// every failure cost that.
	sweepFull = time.Second
)

func newAddrLimiter(r auth.Rate, now func() time.Time) *addrLimiter {
	return &addrLimiter{rate: r, now: now, byIP: map[string]*addrEntry{}, swept: now()}
}

// bucketOf is the bucket that the failures of addr count in: the address
// itself (an IPv4-mapped one as IPv4), or an IPv6 address's /64. A host is given a whole /64 (SLAAC, a
// cloud instance's prefix, privacy addresses) and may send from any
// address of it, so that counted address by address, a guesser taking a
// new one for each try would never be slowed.
func bucketOf(addr string) string {
	a, err := netip.ParseAddr(addr)
	switch {
	case err != nil || a.Is4():
		return addr
	case a.Is4In6():
		return a.Unmap().String() // the IPv4 client it is
	}
	return netip.PrefixFrom(a.WithZone(""), 64).Masked().String()
}

// failedFrom names addr in a 429 of failed authentications: with the
// network it is counted in, when that is more than the address.
func failedFrom(addr string) string {
	if b := bucketOf(addr); strings.Contains(b, "/") {
		return addr + " (counted with its network " + b + ")"
	}
	return addr
}

// blocked returns how long addr must wait, or 0 when it may try.
func (a *addrLimiter) blocked(addr string) time.Duration {
	if !a.counting.Load() {
		return 0
	}
	addr = bucketOf(addr)
	a.mu.Lock()
	defer a.mu.Unlock()
	now := a.now()
	e, ok := a.byIP[addr]
	if !ok {
		if a.over == nil {
			return 0
		}
		return a.over.blocked(addr, now)
	}
	if e.lim.TokensAt(now) >= 1 {
		return 0
	}
	r := e.lim.ReserveN(now, 1)
	wait := r.DelayFrom(now)
	r.CancelAt(now)
	return max(wait, time.Second)
}

// fail takes a token for a failure of addr; it returns how long to wait
// when there was none left.
func (a *addrLimiter) fail(addr string) time.Duration {
	addr = bucketOf(addr)
	a.mu.Lock()
	defer a.mu.Unlock()
	now := a.now()
	a.sweep(now)
	// Set before the failure is counted: a check that finds it unset
	// came before this failure.
	a.counting.Store(true)
	e, ok := a.byIP[addr]
	if !ok {
		if len(a.byIP) >= maxAddrs {
			if a.over == nil {
				a.over = newOverflow(a.rate)
			}
			return a.over.fail(addr, now)
		}
		e = &addrEntry{lim: rate.NewLimiter(rate.Limit(a.rate.PerSecond), a.rate.Burst)}
		if a.over != nil {
			a.over.carry(addr, e.lim, now)
		}
		a.byIP[addr] = e
	}
	e.last = now
	return a.take(e.lim, now)
}

func (a *addrLimiter) take(l *rate.Limiter, now time.Time) time.Duration {
	if l.AllowN(now, 1) {
		return 0
	}
	r := l.ReserveN(now, 1)
	wait := r.DelayFrom(now)
	r.CancelAt(now)
	return max(wait, time.Second)
}

// sweep drops the buckets that refilled since their last failure; a.mu is
// held.
func (a *addrLimiter) sweep(now time.Time) {
	since := now.Sub(a.swept)
	if since < sweepEvery && (len(a.byIP) < maxAddrs || since < sweepFull) {
		return
	}
	a.swept = now
	full := time.Duration(float64(a.rate.Burst)/a.rate.PerSecond*float64(time.Second)) + time.Second
	for addr, e := range a.byIP {
		if now.Sub(e.last) > full {
			delete(a.byIP, addr)
		}
	}
	a.counting.Store(len(a.byIP) > 0 || a.over != nil)
}

// size returns how many addresses have a bucket.
func (a *addrLimiter) size() int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return len(a.byIP)
}
