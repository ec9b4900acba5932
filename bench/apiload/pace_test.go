package main

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"testing"
	"time"
)

func TestScheduleSpacing(t *testing.T) {
	start := time.Unix(1000, 0)
	s := newSchedule(start, 15000)
	for j := int64(0); j < 3; j++ {
		if got := s.take(); !got.Equal(s.due(j)) {
			t.Fatalf("take %d = %v, want %v", j, got, s.due(j))
		}
	}
	if got, want := s.due(15000).Sub(start), time.Second; got != want {
		t.Errorf("request 15000 due %v after the start, want %v", got, want)
	}
	if got, want := s.due(1).Sub(s.due(0)), 66*time.Microsecond; got < want || got > want+time.Microsecond {
		t.Errorf("requests %v apart, want 1/15000 s", got)
	}
	// dueBetween counts what due gives, at any bounds.
	count := func(from, end time.Time) (n int64) {
		for j := int64(0); s.due(j).Before(end); j++ {
			if !s.due(j).Before(from) {
				n++
			}
		}
		return n
	}
	for _, c := range [][2]time.Duration{
		{0, time.Second}, {3 * time.Second, 23 * time.Second}, {time.Second / 2, time.Second/2 + time.Millisecond},
		{time.Second, time.Second}, {66666, 66667}, {133333, 133334}, {time.Millisecond + 7, 2 * time.Second},
	} {
		from, end := start.Add(c[0]), start.Add(c[1])
		if got, want := s.dueBetween(from, end), count(from, end); got != want {
			t.Errorf("due in [%v, %v): %d, want %d", c[0], c[1], got, want)
		}
	}
	if got := s.dueBetween(start.Add(3*time.Second), start.Add(23*time.Second)); got != 300000 {
		t.Errorf("due in 20 s at 15000 a second: %d", got)
	}
}

// The paced workers never send a request before its time, never send more
// than the schedule offers, and account for every request that fell due.
func TestPacedNeverEarly(t *testing.T) {
	const rate, conns = 400.0, 4
	var mu sync.Mutex
	var sent []time.Time
	send := func() (int, error) {
		mu.Lock()
		sent = append(sent, time.Now())
		mu.Unlock()
		return 200, nil
	}
	start := time.Now()
	end := start.Add(300 * time.Millisecond)
	ctx, cancel := context.WithDeadline(context.Background(), end)
	defer cancel()
	sch := newSchedule(start, rate)
	ts := drive(ctx, slices.Repeat([]func() (int, error){send}, conns), sch, start, end)
	s := summarize(ts)
	due := sch.dueBetween(start, end)
	if int64(len(sent)) > due {
		t.Fatalf("%d requests sent, %d due", len(sent), due)
	}
	// The kth send is no earlier than the kth time handed out: each
	// request is sent at or after its own time, and the times are distinct.
	slices.SortFunc(sent, func(a, b time.Time) int { return a.Compare(b) })
	for k, at := range sent {
		if at.Before(sch.due(int64(k))) {
			t.Fatalf("send %d at +%v, before its time +%v", k, at.Sub(start), sch.due(int64(k)).Sub(start))
		}
	}
	unanswered := s.claimed - len(s.lat) - s.errors
	if s.claimed > int(due) || unanswered < 0 || len(s.lat) != s.codes[200] || s.errors != 0 {
		t.Errorf("due %d, claimed %d, answered %d, errors %d, statuses %v", due, s.claimed, len(s.lat), s.errors, s.codes)
	}
}

// The paced load runs through the warm-up on its schedule, so that the
// measuring does not begin with the warm-up's requests overdue.
func TestPacedWarmsUp(t *testing.T) {
	var mu sync.Mutex
	var sent []time.Time
	send := func() (int, error) {
		mu.Lock()
		sent = append(sent, time.Now())
		mu.Unlock()
		return 200, nil
	}
	start := time.Now()
	from, end := start.Add(500*time.Millisecond), start.Add(600*time.Millisecond)
	ctx, cancel := context.WithDeadline(context.Background(), end)
	defer cancel()
	wait := begin(ctx, []func() (int, error){send, send}, nil, newSchedule(start, 100), from, end)
	wait()
	if len(sent) == 0 || !sent[0].Before(from) {
		t.Fatalf("no request sent in the warm-up (%d sent)", len(sent))
	}
}

// A server slower than the rate leaves requests due at the end; the
// workers stop there and do not send them.
func TestPacedStopsAtTheEnd(t *testing.T) {
	const rate, conns, took = 1000.0, 2, 5 * time.Millisecond
	var mu sync.Mutex
	sends := 0
	send := func() (int, error) {
		mu.Lock()
		sends++
		mu.Unlock()
		time.Sleep(took)
		return 200, nil
	}
	start := time.Now()
	end := start.Add(100 * time.Millisecond)
	ctx, cancel := context.WithDeadline(context.Background(), end)
	defer cancel()
	sch := newSchedule(start, rate)
	s := summarize(drive(ctx, slices.Repeat([]func() (int, error){send}, conns), sch, start, end))
	// Each worker's sends begin before the end and at least took apart.
	if most := conns * int(end.Sub(start)/took+1); sends > most {
		t.Errorf("%d requests sent, want at most %d: the workers went on past the end", sends, most)
	}
	if due := sch.dueBetween(start, end); int64(s.claimed) >= due || s.claimed != sends {
		t.Errorf("due %d, sent %d, counted as sent %d", due, sends, s.claimed)
	}
}

// A server that stalls for 200 ms shows in the paced load's latencies: the
// requests that fell due during the stall wait for it, and each is measured
// from its time. Measured from their actual sends, as a closed loop would,
// only the few in flight when the stall began would show it.
func TestPacedShowsAStall(t *testing.T) {
	for _, kind := range []string{"go", "raw"} {
		t.Run(kind, func(t *testing.T) {
			const stall = 200 * time.Millisecond
			var mu sync.Mutex
			n := 0
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				io.Copy(io.Discard, r.Body)
				mu.Lock() // every request waits for the stalled one
				n++
				if n == 50 {
					time.Sleep(stall)
				}
				mu.Unlock()
				w.Write([]byte(`{"ok":true}`))
			}))
			defer srv.Close()

			const rate, conns = 1000.0, 4
			start := time.Now()
			end := start.Add(time.Second)
			ctx, cancel := context.WithDeadline(context.Background(), end)
			defer cancel()
			c := client(conns, "")
			var sends []func() (int, error)
			for range conns {
				send, err := newSender(ctx, kind, c, "POST", srv.URL+"/api/v1/operations/control.noop/execute", []byte(`{"params":{}}`), "k", "")
				if err != nil {
					t.Fatal(err)
				}
				sends = append(sends, send)
			}
			sch := newSchedule(start, rate)
			s := summarize(drive(ctx, sends, sch, start, end))
			if len(s.lat) == 0 {
				t.Fatal("nothing answered")
			}
			// The requests due in the stall's first half (a tenth of the
			// second's load) wait at least half of it.
			if p99, max := pct(s.lat, 0.99), pct(s.lat, 1); p99 < stall/2 || max < stall {
				t.Errorf("p99 %v, max %v over %d answers; want a p99 of at least %v and a max of at least %v",
					p99, max, len(s.lat), stall/2, stall)
			}
			// Those due after the stall's first few milliseconds found
			// every connection waiting and were sent late.
			if s.late < int(rate*stall.Seconds())/2 {
				t.Errorf("%d requests sent late, want at least %d", s.late, int(rate*stall.Seconds())/2)
			}
			if s.codes[200] != len(s.lat) || s.errors != 0 {
				t.Errorf("statuses %v, errors %d", s.codes, s.errors)
			}
		})
	}
}
