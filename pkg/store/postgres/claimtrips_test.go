package postgres_test

import (
	"context"
	"encoding/binary"
	"io"
	"net"
	"net/url"
	"sync/atomic"
	"testing"
	"time"

	"github.com/arsenal-run/arsenal-run/internal/pgtest"
	"github.com/arsenal-run/arsenal-run/pkg/history"
	"github.com/arsenal-run/arsenal-run/pkg/store/postgres"
)

// TestClaimSlotsOneRoundTrip: the scheduler's record of a second of a
// hundred playbooks waits on the database a few times, not three times a
// slot. Each round trip of the client ends with the server's
// ReadyForQuery, which a proxy on loopback counts. On a loaded machine
// every round trip waits for both processes to be scheduled: with one
// round trip a statement, the record took seconds, and the scheduler
// decided nothing meanwhile.
func TestClaimSlotsOneRoundTrip(t *testing.T) {
	dsn := pgtest.DSN(t)
	u, err := url.Parse(dsn)
	if err != nil {
		t.Fatal(err)
	}
	var ready atomic.Int64
	u.Host = countingProxy(t, u.Host, &ready)
	ctx := context.Background()
	s, err := postgres.Open(ctx, postgres.Config{URL: u.String(), Lease: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	at := time.UnixMilli(time.Now().UnixMilli() / 1000 * 1000)
	slots := make([]history.Slot, 100)
	for i := range slots {
		outcome := history.SlotFired
		if i%2 == 1 {
			outcome = history.SlotMissed // with a run row
		}
		slots[i] = history.Slot{Playbook: "pb-" + string(rune('a'+i%26)) + string(rune('a'+i/26)), Slot: at, Outcome: outcome, Message: "m", At: at}
	}
	before := ready.Load()
	claimed, err := s.ClaimSlots(ctx, slots)
	trips := ready.Load() - before
	if err != nil {
		t.Fatal(err)
	}
	for i, c := range claimed {
		if !c {
			t.Errorf("slot %d not claimed", i)
		}
	}
	if trips > 10 {
		t.Errorf("claiming 100 slots took %d round trips to the database, want a few", trips)
	}
	// The rules still hold: a slot recorded before, or not newer than its
	// playbook's newest, is refused; the run rows of the missed ones are
	// written once.
	again, err := s.ClaimSlots(ctx, append(slots[:1:1], history.Slot{Playbook: slots[1].Playbook, Slot: at.Add(-time.Second), Outcome: history.SlotMissed, At: at},
		history.Slot{Playbook: slots[2].Playbook, Slot: at.Add(time.Second), Outcome: history.SlotMissed, At: at},
		history.Slot{Playbook: slots[2].Playbook, Slot: at.Add(time.Second), Outcome: history.SlotMissed, At: at}))
	if err != nil {
		t.Fatal(err)
	}
	if want := []bool{false, false, true, false}; len(again) != 4 || again[0] != want[0] || again[1] != want[1] || again[2] != want[2] || again[3] != want[3] {
		t.Errorf("claims again: %v, want %v", again, want)
	}
}

// countingProxy forwards loopback connections to addr and counts the
// server's ReadyForQuery messages in n; it returns its address.
func countingProxy(t *testing.T, addr string, n *atomic.Int64) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			srv, err := net.Dial("tcp", addr)
			if err != nil {
				c.Close()
				continue
			}
			go func() { io.Copy(srv, c); srv.Close() }()
			go func() {
				defer c.Close()
				for {
					var head [5]byte
					if _, err := io.ReadFull(srv, head[:]); err != nil {
						return
					}
					if head[0] == 'Z' {
						n.Add(1)
					}
					if _, err := c.Write(head[:]); err != nil {
						return
					}
					if _, err := io.CopyN(c, srv, int64(binary.BigEndian.Uint32(head[1:]))-4); err != nil {
						return
					}
				}
			}()
		}
	}()
	return ln.Addr().String()
}
