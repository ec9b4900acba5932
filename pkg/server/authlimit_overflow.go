package server

import (
	"hash/maphash"
	"math"
	"time"

	"golang.org/x/time/rate"

	"github.com/arsenal-run/arsenal-run/pkg/auth"
)

// overflow counts the failures of the addresses the table of an
// addrLimiter has no room for in a count-min sketch of token buckets:
// overflowRows rows of overflowCells buckets, an address's bucket in each
// row chosen by a hash with a seed of this process. An address may try
// while any of its buckets holds a token, and a failure takes one from
// each that does; so one address alone is slowed as it would be in the
// table, and all those in overflow together fail at most overflowCells
// times the rate. Blocking an address that did not fail takes emptying
// all its buckets, which a client that cannot know the seed does only by
// keeping nearly every bucket of every row empty: overflowCells times
// the burst of failures, then overflowCells times the rate, on top of
// those that keep the table full. A single bucket that all such
// addresses shared would be emptied by a handful of failures, and would
// lock out every new client; none at all would let them guess unslowed.
type overflow struct {
	seed  maphash.Seed
	per   float64 // tokens a second
	burst float64
	cells [overflowRows][]debt
}

const (
	overflowRows  = 2
	overflowCells = 1 << 16 // per row; 2 MiB in all, made when the table is first full
)

// debt is a token bucket held as the tokens taken and not yet refilled as
// of at, so that its zero value is a full bucket.
type debt struct {
	taken float64
	at    int64 // Unix nanoseconds
}

func newOverflow(r auth.Rate) *overflow {
	o := &overflow{seed: maphash.MakeSeed(), per: r.PerSecond, burst: float64(r.Burst)}
	for i := range o.cells {
		o.cells[i] = make([]debt, overflowCells)
	}
	return o
}

// buckets are the buckets of addr, one a row.
func (o *overflow) buckets(addr string) [overflowRows]*debt {
	h := maphash.String(o.seed, addr)
	return [overflowRows]*debt{
		&o.cells[0][h%overflowCells],
		&o.cells[1][(h>>32)%overflowCells],
	}
}

// takenAt is how many tokens d lacks at now.
func (o *overflow) takenAt(d *debt, now int64) float64 {
	if now <= d.at {
		return d.taken
	}
	return max(0, d.taken-float64(now-d.at)/1e9*o.per)
}

// waitFor is how long until the bucket lacking taken tokens holds one.
func (o *overflow) waitFor(taken float64) time.Duration {
	secs := (taken - o.burst + 1) / o.per
	if math.IsInf(secs, 0) || math.IsNaN(secs) || secs > float64(math.MaxInt64/int64(time.Second)) {
		return math.MaxInt64
	}
	return max(time.Duration(secs*float64(time.Second)), time.Second)
}

// blocked is how long addr must wait while none of its buckets holds a
// token, or 0; the caller holds the addrLimiter's lock.
func (o *overflow) blocked(addr string, now time.Time) time.Duration {
	t := now.UnixNano()
	least := math.Inf(1)
	for _, d := range o.buckets(addr) {
		least = min(least, o.takenAt(d, t))
	}
	if o.burst-least >= 1 {
		return 0
	}
	return o.waitFor(least)
}

// fail takes a token from each bucket of addr that holds one; when none
// did, it returns how long to wait.
func (o *overflow) fail(addr string, now time.Time) time.Duration {
	t := now.UnixNano()
	least, took := math.Inf(1), false
	for _, d := range o.buckets(addr) {
		taken := o.takenAt(d, t)
		least = min(least, taken)
		if o.burst-taken >= 1 {
			d.taken, d.at, took = taken+1, t, true
		}
	}
	if took {
		return 0
	}
	return o.waitFor(least)
}

// carry starts lim, the new bucket of addr in the table, with what the
// sketch counted of addr: the tokens its fullest bucket lacks at now. An
// address that failed while the table was full, and is given a place in
// it once the table has room again, goes on from there, not from a full
// budget that would let it guess a burst more. lim is emptied at the
// moment from which refilling at the rate leaves it lacking just that.
func (o *overflow) carry(addr string, lim *rate.Limiter, now time.Time) {
	t := now.UnixNano()
	least := math.Inf(1)
	for _, d := range o.buckets(addr) {
		least = min(least, o.takenAt(d, t))
	}
	if least <= 0 || o.per <= 0 {
		return
	}
	held := max(o.burst-least, 0) // what lim is to hold at now
	from := now.Add(-time.Duration(held / o.per * float64(time.Second)))
	lim.ReserveN(from, lim.Burst())
}
