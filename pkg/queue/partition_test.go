package queue

import (
	"context"
	"errors"
	"io"
	"net"
	"net/url"
	"sync"
	"testing"
	"time"

	"github.com/arsenal-run/arsenal-run/internal/pgtest"
	"github.com/arsenal-run/arsenal-run/pkg/history"
	"github.com/arsenal-run/arsenal-run/pkg/report"
	"github.com/arsenal-run/arsenal-run/pkg/runs"
)

// link is one replica's way to the database, a TCP relay that the test
// cuts as a network partition does: while cut, its connections break and
// new ones are dropped at once, and the other replicas, which connect
// directly, go on.
type link struct {
	ln   net.Listener
	to   string
	wg   sync.WaitGroup
	mu   sync.Mutex
	cut  bool
	open map[net.Conn]struct{}
}

// newLink starts a link to the database of dsn and returns the DSN that
// goes through it. It closes when the test ends, after the replicas on it
// (register it first).
func newLink(t *testing.T, dsn string) (*link, string) {
	t.Helper()
	u, err := url.Parse(dsn)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	l := &link{ln: ln, to: u.Host, open: map[net.Conn]struct{}{}}
	l.wg.Add(1)
	go l.accept()
	t.Cleanup(func() {
		ln.Close()
		l.setCut(true)
		l.wg.Wait()
	})
	u.Host = ln.Addr().String()
	return l, u.String()
}

func (l *link) accept() {
	defer l.wg.Done()
	for {
		c, err := l.ln.Accept()
		if err != nil {
			return
		}
		var d net.Conn
		if !l.isCut() {
			d, _ = net.Dial("tcp", l.to)
		}
		if d == nil || !l.track(c, d) {
			c.Close()
			if d != nil {
				d.Close()
			}
			continue
		}
		l.wg.Add(2)
		go l.relay(c, d)
		go l.relay(d, c)
	}
}

// relay copies from one end to the other until either breaks, then
// breaks both.
func (l *link) relay(from, to net.Conn) {
	defer l.wg.Done()
	io.Copy(to, from)
	from.Close()
	to.Close()
	l.mu.Lock()
	delete(l.open, from)
	delete(l.open, to)
	l.mu.Unlock()
}

// track registers the two ends of a relayed connection, unless the link
// was cut meanwhile.
func (l *link) track(c, d net.Conn) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.cut {
		return false
	}
	l.open[c], l.open[d] = struct{}{}, struct{}{}
	return true
}

func (l *link) isCut() bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.cut
}

// setCut cuts the link (breaking its connections) or mends it.
func (l *link) setCut(cut bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.cut = cut
	if cut {
		for c := range l.open {
			c.Close()
		}
	}
}

// TestGroupWaitOfAReplicaCutOffLeavesTheRunToTheOther: a run waits on
// replica a for its concurrency group when a is cut off from the
// database. To b, a looks dead: b drops a's places in the group's line,
// takes the run's job and runs the run, in a place of its own. When a
// comes back, its wait fails (its place is gone); a records nothing of
// the run (b's record stays: running, b's), and b's place stays, so a
// later run of the group waits for b's to end.
func TestGroupWaitOfAReplicaCutOffLeavesTheRunToTheOther(t *testing.T) {
	dsn := pgtest.DSN(t)
	cut, viaLink := newLink(t, dsn)
	// The replicas' runs of the group must go on while the test looks at
	// them: their leases are long enough that their heartbeats, slowed
	// by a loaded machine, go through within half of them (else each
	// stops its runs of the group, as a replica cut off must). a is cut
	// off for longer than its lease: b takes it for dead, and takes its
	// job once it was taken more than b's lease ago.
	const lease = 10 * time.Second
	a := newReplicaLease(t, viaLink, 2, true, lease)
	ctx := context.Background()
	hold, _, err := a.q.Submit(ctx, args("hold", nil))
	if err != nil {
		t.Fatal(err)
	}
	holding := waitLocal(t, a, hold, runs.StateRunning)
	run, _, err := a.q.Submit(ctx, args("hold", nil))
	if err != nil {
		t.Fatal(err)
	}
	waiting := waitLocal(t, a, run, runs.StateQueued)

	cut.setCut(true)
	b := newReplicaLease(t, dsn, 2, true, lease)
	onB := waitLocal(t, b, run, runs.StateRunning)
	cut.setCut(false)

	notClaimed(t, waiting)
	holding.Cancel(errors.New("the test ends the run that held the group before a was cut off"))
	var owner, status string
	if err := b.pg.Pool().QueryRow(ctx, `SELECT owner, status FROM runs WHERE id = $1`, run).Scan(&owner, &status); err != nil {
		t.Fatal(err)
	}
	if owner != b.pg.Owner() || status != string(history.StatusRunning) {
		t.Errorf("history of the run b runs: %s, by %s; want running, by b (%s)", status, owner, b.pg.Owner())
	}
	var places []string
	rows, err := b.pg.Pool().Query(ctx, `SELECT owner || ' ' || state FROM concurrency WHERE run_id = $1`, run)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var p string
		rows.Scan(&p)
		places = append(places, p)
	}
	rows.Close()
	if want := b.pg.Owner() + " running"; len(places) != 1 || places[0] != want {
		t.Errorf("the run's places in the group's line: %q, want [%s]", places, want)
	}

	// A later run of the group waits for b's.
	later, _, err := b.q.Submit(ctx, args("after", nil))
	if err != nil {
		t.Fatal(err)
	}
	state := func() string {
		var s string
		b.pg.Pool().QueryRow(ctx, `SELECT state FROM concurrency WHERE run_id = $1`, later).Scan(&s)
		return s
	}
	started := func() bool { _, err := b.pg.Get(ctx, later); return err == nil }
	waitUntil(t, "the later run in the group's line", func() bool { return state() != "" || started() })
	time.Sleep(time.Second) // a few looks at the group
	if s := state(); s != "waiting" || started() {
		t.Errorf("the later run of the group while b's runs: %q in the line, recorded %v; want waiting, unrecorded", s, started())
	}
	onB.Cancel(errors.New("the test ends b's run"))
	if st := await(t, b.q, later); st != report.StatusSucceeded {
		t.Errorf("the later run ended %s, want succeeded", st)
	}
	if r, err := b.pg.Get(ctx, run); err != nil || r.Status != report.StatusCancelled {
		t.Errorf("history of the run b ran: %s, %v; want cancelled, as b ended it", r.Status, err)
	}
}
