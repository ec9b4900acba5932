package main

import (
	"context"
	"math"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// lateAfter is how far past its time a paced request may be sent and still
// count as sent on time: timers and the scheduler wake a goroutine a little
// late even on an idle machine.
const lateAfter = time.Millisecond

// schedule hands out the send times of an open-loop load: the jth request
// over all connections is due at start + j/rate, whatever became of the
// requests before it. The connections take the times in turn, so the load
// is spread over them, and a server that stalls meets the requests that
// fell due meanwhile as a backlog instead of fewer requests being sent.
type schedule struct {
	start time.Time
	rate  float64 // requests a second
	next  atomic.Int64
}

func newSchedule(start time.Time, rate float64) *schedule {
	return &schedule{start: start, rate: rate}
}

// due is the time request j is to be sent.
func (s *schedule) due(j int64) time.Time {
	return s.start.Add(time.Duration(float64(j) * float64(time.Second) / s.rate))
}

// take hands out the next request's time.
func (s *schedule) take() time.Time {
	return s.due(s.next.Add(1) - 1)
}

// dueBetween is how many requests fall due in [from, end).
func (s *schedule) dueBetween(from, end time.Time) int64 {
	before := func(t time.Time) int64 { // requests due before t
		j := int64(math.Ceil(t.Sub(s.start).Seconds() * s.rate))
		for j > 0 && !s.due(j-1).Before(t) {
			j--
		}
		for s.due(j).Before(t) {
			j++
		}
		return j
	}
	return before(end) - before(from)
}

// tally is what one connection's worker measured.
type tally struct {
	lat     []time.Duration // closed loop: from the send; paced: from the request's time
	service []time.Duration // paced: from the actual send
	codes   map[int]int
	errors  int
	late    int // paced: sent more than lateAfter after their time
	claimed int // paced: requests due in the window this worker sent
}

// drive runs one worker for each send function until end, when ctx ends
// too, and returns what each measured, counting the requests answered
// from from on.
// With sch nil each worker sends its next request when the answer to the
// last arrives (a closed loop); with a schedule each sends at the times it
// takes from it (an open loop).
func drive(ctx context.Context, sends []func() (int, error), sch *schedule, from, end time.Time) []tally {
	out := make([]tally, len(sends))
	var wg sync.WaitGroup
	for i, send := range sends {
		out[i].codes = map[int]int{}
		wg.Add(1)
		go func() {
			defer wg.Done()
			if sch == nil {
				closedLoop(ctx, send, from, &out[i])
			} else {
				paced(ctx, sch, send, from, end, &out[i])
			}
		}()
	}
	wg.Wait()
	return out
}

// closedLoop sends a request, waits for its answer and sends the next.
// Each latency is from the request's send: when the server stalls, fewer
// requests are sent and the stall shows in as few samples as there are
// connections.
func closedLoop(ctx context.Context, send func() (int, error), from time.Time, out *tally) {
	for ctx.Err() == nil {
		start := time.Now()
		code, err := send()
		done := time.Now()
		if ctx.Err() != nil || done.Before(from) {
			continue
		}
		if err != nil {
			out.errors++
			continue
		}
		out.lat = append(out.lat, done.Sub(start))
		out.codes[code]++
	}
}

// paced takes the next time from sch, waits for it if it is still ahead,
// sends, and measures the latency from the time the request was due, not
// from when it could be sent: a request held back by a connection still
// waiting for an earlier answer counts the wait (the correction for
// coordinated omission). Requests due before from are the warm-up's and
// are not measured; an answer that arrives after the end is not counted.
func paced(ctx context.Context, sch *schedule, send func() (int, error), from, end time.Time, out *tally) {
	for {
		due := sch.take()
		if !due.Before(end) || !time.Now().Before(end) {
			return // the end, or past it with requests still due
		}
		measured := !due.Before(from)
		if measured {
			out.claimed++
		}
		if wait := time.Until(due); wait > 0 {
			time.Sleep(wait) // due is before end, so this ends before ctx
		}
		sent := time.Now()
		code, err := send()
		done := time.Now()
		if !measured || ctx.Err() != nil {
			continue
		}
		if sent.Sub(due) > lateAfter {
			out.late++
		}
		if err != nil {
			out.errors++
			continue
		}
		out.lat = append(out.lat, done.Sub(due))
		out.service = append(out.service, done.Sub(sent))
		out.codes[code]++
	}
}

// summary is the workers' tallies taken together, latencies sorted.
type summary struct {
	lat, service []time.Duration
	codes        map[int]int
	errors, late int
	claimed      int
}

func summarize(ts []tally) summary {
	s := summary{codes: map[int]int{}}
	for _, t := range ts {
		s.lat = append(s.lat, t.lat...)
		s.service = append(s.service, t.service...)
		for c, n := range t.codes {
			s.codes[c] += n
		}
		s.errors += t.errors
		s.late += t.late
		s.claimed += t.claimed
	}
	slices.Sort(s.lat)
	slices.Sort(s.service)
	return s
}

// pct is the q quantile of sorted latencies (q 1 is the maximum).
func pct(lat []time.Duration, q float64) time.Duration {
	if len(lat) == 0 {
		return 0
	}
	return lat[min(len(lat)-1, int(q*float64(len(lat))))]
}
