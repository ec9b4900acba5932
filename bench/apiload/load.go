package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"slices"
	"time"
)

func client(conns int, local string) *http.Client {
	d := &net.Dialer{Timeout: 5 * time.Second}
	if local != "" {
		d.LocalAddr = &net.TCPAddr{IP: net.ParseIP(local)}
	}
	return &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{
		DialContext: d.DialContext, MaxIdleConns: conns, MaxIdleConnsPerHost: conns, MaxConnsPerHost: conns,
		DisableCompression: true,
	}}
}

// newSender returns a function that makes one request of method to url
// with body and key k, from local address local (any when empty), with
// the client kind (go: c, raw: a connection of its own), and returns the
// answer's status code.
func newSender(ctx context.Context, kind string, c *http.Client, method, url string, body []byte, k, local string) (func() (int, error), error) {
	if kind == "raw" {
		headers := []string{"Authorization", "Bearer " + k}
		if body != nil {
			headers = append(headers, "Content-Type", "application/json")
		}
		rc, err := newRaw(url, method, body, local, headers...)
		if err != nil {
			return nil, err
		}
		return rc.do, nil
	}
	return func() (int, error) {
		var rd io.Reader
		if body != nil {
			rd = bytes.NewReader(body)
		}
		req, _ := http.NewRequestWithContext(ctx, method, url, rd)
		if body != nil {
			req.Header.Set("Content-Type", "application/json")
		}
		req.Header.Set("Authorization", "Bearer "+k)
		res, err := c.Do(req)
		if err != nil {
			return 0, err
		}
		io.Copy(io.Discard, res.Body)
		res.Body.Close()
		return res.StatusCode, nil
	}, nil
}

// load puts conns connections with the valid key (and bad with an invalid
// one) on the server for warmup and then duration, and prints what the
// valid and invalid load measured after the warm-up. With rate above zero
// the valid load is paced at rate requests a second over its connections;
// the invalid load is always a closed loop.
func load(base, key, op, get, kind string, conns, bad int, rate float64, warmup, duration time.Duration, pid int) {
	url := base + "/api/v1/operations/" + op + "/execute"
	method, body := "POST", []byte(`{"params":{}}`)
	if get != "" {
		url, method, body = base+get, "GET", nil
	}
	start := time.Now()
	from, end := start.Add(warmup), start.Add(warmup+duration)
	ctx, cancel := context.WithDeadline(context.Background(), end)
	defer cancel()
	good, badc := client(conns, ""), client(bad, "127.0.0.2")
	senders := func(n int, c *http.Client, k, local string) []func() (int, error) {
		out := make([]func() (int, error), n)
		for i := range out {
			send, err := newSender(ctx, kind, c, method, url, body, k, local)
			if err != nil {
				fmt.Fprintln(os.Stderr, "apiload:", err)
				os.Exit(2)
			}
			out[i] = send
		}
		return out
	}
	var sch *schedule
	if rate > 0 {
		sch = newSchedule(start, rate)
	}
	wait := begin(ctx, senders(conns, good, key, ""), senders(bad, badc, "ak_invalid-key-for-load", "127.0.0.2"), sch, from, end)
	time.Sleep(time.Until(from)) // the warm-up
	cpu0, self0 := cpuSeconds(pid), cpuSeconds(os.Getpid())
	rss := sampleRSS(ctx, pid)
	goods, bads := wait()
	elapsed := time.Since(from)
	cpu, self := cpuSeconds(pid)-cpu0, cpuSeconds(os.Getpid())-self0
	n := report("valid key", goods, sch, from, end)
	if bad > 0 {
		n += report("invalid key", bads, nil, from, end)
	}
	if pid > 0 && n > 0 {
		fmt.Printf("server CPU: %.1f s in %s (%.2f cores), %.0f µs per request\n", cpu, elapsed.Round(time.Second), cpu/elapsed.Seconds(), cpu/float64(n)*1e6)
	}
	if n > 0 {
		fmt.Printf("load generator CPU (-client %s): %.1f s (%.2f cores), %.0f µs per request\n", kind, self, self/elapsed.Seconds(), self/float64(n)*1e6)
	}
	if r := <-rss; len(r) > 0 {
		fmt.Printf("server RSS (MiB): first %.1f, max %.1f, last %.1f over %d samples\n", r[0], slices.Max(r), r[len(r)-1], len(r))
	}
}

// begin starts the valid load's workers (paced by sch when it is not nil)
// and the invalid load's (a closed loop) at once, so that both warm up, and
// returns a function that waits for the end and gives what each measured.
func begin(ctx context.Context, goods, bads []func() (int, error), sch *schedule, from, end time.Time) func() (good, bad []tally) {
	goodDone, badDone := make(chan []tally, 1), make(chan []tally, 1)
	go func() { goodDone <- drive(ctx, goods, sch, from, end) }()
	go func() { badDone <- drive(ctx, bads, nil, from, end) }()
	return func() ([]tally, []tally) { return <-goodDone, <-badDone }
}

// report prints one load's figures and returns how many requests were
// answered. A paced load's line gives the offered rate beside the achieved
// one, latencies from each request's time and from its actual send, and
// the backlog: requests sent late, not sent by the end, or unanswered.
func report(name string, ts []tally, sch *schedule, from, end time.Time) int {
	s := summarize(ts)
	window := end.Sub(from)
	ms := func(lat []time.Duration) string {
		return fmt.Sprintf("p50 %s p90 %s p99 %s p99.9 %s max %s",
			pct(lat, 0.5).Round(time.Microsecond), pct(lat, 0.9).Round(time.Microsecond), pct(lat, 0.99).Round(time.Microsecond),
			pct(lat, 0.999).Round(time.Microsecond), pct(lat, 1).Round(time.Microsecond))
	}
	achieved := float64(len(s.lat)) / window.Seconds()
	if sch == nil {
		fmt.Printf("%s: %d requests in %s = %.0f req/s; %s; statuses %v; transport errors %d\n",
			name, len(s.lat), window.Round(time.Millisecond), achieved, ms(s.lat), s.codes, s.errors)
		return len(s.lat)
	}
	due := sch.dueBetween(from, end)
	unsent := max(0, due-int64(s.claimed))
	unanswered := s.claimed - len(s.lat) - s.errors
	fmt.Printf("%s, paced: offered %.0f req/s (%d due), achieved %.0f req/s (%d answered in %s)\n",
		name, sch.rate, due, achieved, len(s.lat), window.Round(time.Millisecond))
	fmt.Printf("  latency from each request's scheduled time: %s\n", ms(s.lat))
	fmt.Printf("  latency from its actual send:               %s\n", ms(s.service))
	fmt.Printf("  statuses %v; transport errors %d; backlog: %d sent more than %s late, %d not sent by the end, %d unanswered at the end\n",
		s.codes, s.errors, s.late, lateAfter, unsent, unanswered)
	return len(s.lat)
}
