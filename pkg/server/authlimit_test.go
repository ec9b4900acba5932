package server

import (
	"strconv"
	"testing"
	"time"

	"golang.org/x/time/rate"

	"github.com/arsenal-run/arsenal-run/pkg/auth"
)

// fillTable fills a's table with maxAddrs addresses that failed at now
// and are over their budget, as a client holding many addresses keeps it.
func fillTable(a *addrLimiter, now time.Time) {
	a.mu.Lock()
	defer a.mu.Unlock()
	for i := range maxAddrs {
		a.byIP["198.18."+strconv.Itoa(i>>8)+"."+strconv.Itoa(i&255)] = &addrEntry{lim: rate.NewLimiter(0, 0), last: now}
	}
}

// TestFullTableStillSlowsAGuesser: with the table of addresses full, an
// address it has no room for is refused before its key is looked at once
// it is over its budget, a valid key included, as one in the table is.
// It had every key checked: the check before a request read the table
// alone.
func TestFullTableStillSlowsAGuesser(t *testing.T) {
	ts := newTestServer(t, func(c *Config) {
		c.Limits.AuthFailures = auth.Rate{PerSecond: 0.001, Burst: 3}
		c.Limits.AuthTarpit = -1
	})
	fillTable(ts.srv.fails, time.Now())
	for i := range 3 {
		ts.do(request{method: "GET", path: "/api/v1/operations", rawKey: "ak_guess" + strconv.Itoa(i)}).want(t, 401)
	}
	for range 5 {
		ts.do(request{method: "GET", path: "/api/v1/operations", rawKey: "ak_guess"}).wantError(t, 429, ClassRateLimited)
	}
	ts.get("admin", "/api/v1/operations").wantError(t, 429, ClassRateLimited)
	ts.do(request{method: "POST", path: "/api/v1/session", body: map[string]any{"key": ts.keys["admin"]}}).wantError(t, 429, ClassRateLimited)
}

// TestFullTableLocksOutNoNewClient: while the table is full and a guesser
// in overflow is held back, an address that did not fail may try, and
// one that fails has its own budget: they did not share the guesser's
// bucket.
func TestFullTableLocksOutNoNewClient(t *testing.T) {
	now := time.Unix(1_000_000, 0)
	a := newAddrLimiter(auth.Rate{PerSecond: 0.01, Burst: 5}, func() time.Time { return now })
	fillTable(a, now)
	const guesser = "203.0.113.66"
	for a.blocked(guesser) == 0 {
		a.fail(guesser)
	}
	if wait := a.blocked(guesser); wait < time.Second {
		t.Fatalf("the guesser waits %s", wait)
	}
	// Guessing on does not bring its wait to an end.
	for range 100 {
		if a.fail(guesser) == 0 {
			t.Fatal("a failure of the guesser over its budget was let through")
		}
	}
	g := a.over.buckets(guesser)
	checked := 0
	for i := range 1000 {
		addr := "10.1." + strconv.Itoa(i>>8) + "." + strconv.Itoa(i&255)
		if a.over.buckets(addr) == g {
			continue // the very buckets of the guesser: one address in 2^32
		}
		checked++
		if wait := a.blocked(addr); wait != 0 {
			t.Fatalf("%s, which never failed, must wait %s", addr, wait)
		}
	}
	if checked < 990 {
		t.Errorf("only %d addresses checked", checked)
	}
	// One that fails, sharing no bucket with the guesser, fails 5 times
	// before it waits.
	for i := 0; ; i++ {
		addr := "10.2.0." + strconv.Itoa(i)
		if b := a.over.buckets(addr); b[0] == g[0] || b[1] == g[1] {
			continue
		}
		for j := range 5 {
			if wait := a.fail(addr); wait != 0 {
				t.Fatalf("failure %d of %s: wait %s; want its own budget of 5", j+1, addr, wait)
			}
		}
		if a.fail(addr) == 0 {
			t.Errorf("the 6th failure of %s was let through", addr)
		}
		break
	}
	// The buckets refill: the guesser may try again, at the rate.
	now = now.Add(101 * time.Second)
	if wait := a.blocked(guesser); wait != 0 {
		t.Errorf("after a refill the guesser still waits %s", wait)
	}
	if a.fail(guesser) != 0 || a.blocked(guesser) == 0 {
		t.Errorf("after one refilled token, the guesser is not held back again")
	}
}

// TestFullTableIsNotSweptEveryFailure: a sweep reads every entry, so a
// full table is swept at most once a second: failures that keep it full
// do not each cost a walk over a hundred thousand entries. It was swept
// on every one.
func TestFullTableIsNotSweptEveryFailure(t *testing.T) {
	now := time.Unix(1_000_000, 0)
	a := newAddrLimiter(auth.Rate{PerSecond: 1, Burst: 5}, func() time.Time { return now })
	fillTable(a, now)
	a.fail("203.0.113.1") // sweeps: nothing is stale
	a.mu.Lock()
	a.byIP["198.18.0.0"].last = now.Add(-time.Hour)
	a.mu.Unlock()
	now = now.Add(500 * time.Millisecond)
	a.fail("203.0.113.2")
	if !a.has("198.18.0.0") {
		t.Fatalf("a full table was swept again within %s", sweepFull)
	}
	now = now.Add(sweepFull)
	a.fail("203.0.113.3")
	if a.has("198.18.0.0") || !a.has("203.0.113.3") {
		t.Errorf("after %s, the stale entry was not dropped for the new address", sweepFull)
	}
}

func (a *addrLimiter) has(addr string) bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.byIP[addr] != nil
}

// BenchmarkFailFullTable is a failure of an address in overflow while
// the table is full.
func BenchmarkFailFullTable(b *testing.B) {
	now := time.Unix(1_000_000, 0)
	a := newAddrLimiter(auth.Rate{PerSecond: 1, Burst: 20}, func() time.Time { return now })
	fillTable(a, now)
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		i++
		a.fail("203.0.113." + strconv.Itoa(i&255))
	}
}

// TestOverflowCountCarriedIntoTable: an address that spent its budget
// while the table was full, then given a place in the table once it has
// room again, is still over its budget there: the failures the sketch
// counted are carried over. It started with a full budget, a burst more
// of guesses.
func TestOverflowCountCarriedIntoTable(t *testing.T) {
	now := time.Unix(1_000_000, 0)
	a := newAddrLimiter(auth.Rate{PerSecond: 0.01, Burst: 5}, func() time.Time { return now })
	fillTable(a, now)
	const guesser = "203.0.113.66"
	for range 4 {
		if wait := a.fail(guesser); wait != 0 {
			t.Fatalf("a failure within the burst waits %s", wait)
		}
	}
	// The table empties (its addresses refilled), so the guesser gets a
	// place in it on its next failure: the fifth of its burst.
	a.mu.Lock()
	clear(a.byIP)
	a.mu.Unlock()
	if wait := a.fail(guesser); wait != 0 {
		t.Fatalf("the fifth failure waits %s, want none", wait)
	}
	if a.size() != 1 {
		t.Fatalf("the table holds %d addresses, want the guesser's", a.size())
	}
	if wait := a.blocked(guesser); wait < time.Second {
		t.Fatalf("after its burst of 5 failures, the guesser waits %s, want it held back", wait)
	}
	if wait := a.fail(guesser); wait < time.Second {
		t.Fatalf("a sixth failure waits %s, want it refused", wait)
	}
}
