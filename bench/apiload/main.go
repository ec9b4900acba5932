// Command apiload puts load on a running `arsenal-run serve` and prints
// throughput, latency percentiles, errors and the server's memory. It is a
// benchmark tool, not part of the test suite; bench/README.md shows how it
// is run and what it measured.
//
//	apiload -mode exec  -conns 64 -duration 60s -pid PID
//	apiload -mode exec  -conns 64 -duration 60s -pid PID -client raw
//	apiload -mode mixed -conns 64 -bad-conns 64 -duration 60s
//	apiload -mode sse   -subscribers 200 -playbook eventful -runs 5
//
// The key is read from $ARSENAL_API_KEY. In mixed mode the invalid-key
// load comes from 127.0.0.2, so that the server's per-address limit on
// failed authentication applies to it and not to the valid load.
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

func main() {
	mode := flag.String("mode", "exec", "exec, mixed or sse")
	base := flag.String("url", "http://127.0.0.1:8080", "the server")
	op := flag.String("op", "control.noop", "exec: the operation to execute")
	get := flag.String("get", "", "exec: GET this path instead of executing, for the HTTP floor")
	conns := flag.Int("conns", 64, "keep-alive connections with the valid key")
	badConns := flag.Int("bad-conns", 64, "mixed: connections with an invalid key, from 127.0.0.2")
	duration := flag.Duration("duration", 60*time.Second, "how long to load")
	warmup := flag.Duration("warmup", 3*time.Second, "load before measuring")
	pid := flag.Int("pid", 0, "the server's pid, to sample its RSS")
	kind := flag.String("client", "go", "exec, mixed: go (net/http's client) or raw (a minimal HTTP/1.1 client that takes less of the CPU from a server on the same machine)")
	subscribers := flag.Int("subscribers", 200, "sse: event stream clients per run")
	playbook := flag.String("playbook", "eventful", "sse: the playbook to run")
	runsN := flag.Int("runs", 5, "sse: runs with and without subscribers")
	flag.Parse()
	key := os.Getenv("ARSENAL_API_KEY")
	if key == "" {
		fmt.Fprintln(os.Stderr, "apiload: set $ARSENAL_API_KEY")
		os.Exit(2)
	}
	switch *mode {
	case "exec", "mixed":
		bad := 0
		if *mode == "mixed" {
			bad = *badConns
		}
		if *kind != "go" && *kind != "raw" {
			fmt.Fprintln(os.Stderr, "apiload: -client is go or raw")
			os.Exit(2)
		}
		load(*base, key, *op, *get, *kind, *conns, bad, *warmup, *duration, *pid)
	case "sse":
		sse(*base, key, *playbook, *subscribers, *runsN, *pid)
	default:
		fmt.Fprintln(os.Stderr, "apiload: -mode is exec, mixed or sse")
		os.Exit(2)
	}
}

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

// worker results.
type tally struct {
	lat    []time.Duration
	codes  map[int]int
	errors int
}

func load(base, key, op, get, kind string, conns, bad int, warmup, duration time.Duration, pid int) {
	url := base + "/api/v1/operations/" + op + "/execute"
	method, body := "POST", []byte(`{"params":{}}`)
	if get != "" {
		url, method, body = base+get, "GET", nil
	}
	var measuring atomic.Bool
	ctx, cancel := context.WithTimeout(context.Background(), warmup+duration)
	defer cancel()
	good, badc := client(conns, ""), client(bad, "127.0.0.2")
	// send makes one request with key k from local address local (any
	// when empty) and returns its status code.
	sender := func(c *http.Client, k, local string) func() (int, error) {
		if kind == "raw" {
			headers := []string{"Authorization", "Bearer " + k}
			if body != nil {
				headers = append(headers, "Content-Type", "application/json")
			}
			rc, err := newRaw(url, method, body, local, headers...)
			if err != nil {
				fmt.Fprintln(os.Stderr, "apiload:", err)
				os.Exit(2)
			}
			return rc.do
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
		}
	}
	var wg sync.WaitGroup
	run := func(send func() (int, error), out *tally) {
		defer wg.Done()
		out.codes = map[int]int{}
		for ctx.Err() == nil {
			start := time.Now()
			code, err := send()
			if err != nil {
				if ctx.Err() == nil && measuring.Load() {
					out.errors++
				}
				continue
			}
			if measuring.Load() {
				out.lat = append(out.lat, time.Since(start))
				out.codes[code]++
			}
		}
	}
	goods := make([]tally, conns)
	bads := make([]tally, bad)
	for i := range goods {
		wg.Add(1)
		go run(sender(good, key, ""), &goods[i])
	}
	for i := range bads {
		wg.Add(1)
		go run(sender(badc, "ak_invalid-key-for-load", "127.0.0.2"), &bads[i])
	}
	time.Sleep(warmup)
	measuring.Store(true)
	began := time.Now()
	cpu0, self0 := cpuSeconds(pid), cpuSeconds(os.Getpid())
	rss := sampleRSS(ctx, pid)
	wg.Wait()
	elapsed := time.Since(began)
	cpu, self := cpuSeconds(pid)-cpu0, cpuSeconds(os.Getpid())-self0
	n := report("valid key", goods, elapsed)
	if bad > 0 {
		n += report("invalid key", bads, elapsed)
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

func report(name string, ts []tally, elapsed time.Duration) int {
	var lat []time.Duration
	codes := map[int]int{}
	errs := 0
	for _, t := range ts {
		lat = append(lat, t.lat...)
		for c, n := range t.codes {
			codes[c] += n
		}
		errs += t.errors
	}
	slices.Sort(lat)
	p := func(q float64) time.Duration {
		if len(lat) == 0 {
			return 0
		}
		return lat[min(len(lat)-1, int(q*float64(len(lat))))]
	}
	fmt.Printf("%s: %d requests in %s = %.0f req/s; p50 %s p90 %s p99 %s p99.9 %s max %s; statuses %v; transport errors %d\n",
		name, len(lat), elapsed.Round(time.Millisecond), float64(len(lat))/elapsed.Seconds(),
		p(0.5).Round(time.Microsecond), p(0.9).Round(time.Microsecond), p(0.99).Round(time.Microsecond),
		p(0.999).Round(time.Microsecond), p(1).Round(time.Microsecond), codes, errs)
	return len(lat)
}

// cpuSeconds is the user and system CPU time pid has used.
func cpuSeconds(pid int) float64 {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	// The fields after the command name, which is in parentheses.
	s := string(data)
	f := strings.Fields(s[strings.LastIndexByte(s, ')')+2:])
	var utime, stime float64
	fmt.Sscan(f[11], &utime)
	fmt.Sscan(f[12], &stime)
	return (utime + stime) / 100 // USER_HZ
}

// sampleRSS reads the RSS of pid every second until ctx ends.
func sampleRSS(ctx context.Context, pid int) <-chan []float64 {
	out := make(chan []float64, 1)
	go func() {
		var samples []float64
		t := time.NewTicker(time.Second)
		defer t.Stop()
		for pid > 0 {
			if v, ok := rssMiB(pid); ok {
				samples = append(samples, v)
			}
			select {
			case <-ctx.Done():
				out <- samples
				return
			case <-t.C:
			}
		}
		out <- samples
	}()
	return out
}

func rssMiB(pid int) (float64, bool) {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, false
	}
	for _, l := range strings.Split(string(data), "\n") {
		if rest, ok := strings.CutPrefix(l, "VmRSS:"); ok {
			var kb float64
			fmt.Sscanf(strings.TrimSpace(rest), "%f", &kb)
			return kb / 1024, true
		}
	}
	return 0, false
}

// sse runs the playbook alone and then with subscribers, alternating, and
// compares the runs' durations as their reports give them.
func sse(base, key, playbook string, subscribers, runs, pid int) {
	c := client(subscribers+4, "")
	c.Timeout = 0
	var alone, watched []int64
	var delivered, dropped atomic.Int64
	var cpuAlone, cpuWatched, selfAlone, selfWatched float64
	self := os.Getpid()
	for i := 0; i < runs; i++ {
		c0, s0 := cpuSeconds(pid), cpuSeconds(self)
		alone = append(alone, startAndWait(c, base, key, playbook, 0, nil, nil))
		c1, s1 := cpuSeconds(pid), cpuSeconds(self)
		watched = append(watched, startAndWait(c, base, key, playbook, subscribers, &delivered, &dropped))
		c2, s2 := cpuSeconds(pid), cpuSeconds(self)
		cpuAlone, cpuWatched = cpuAlone+c1-c0, cpuWatched+c2-c1
		selfAlone, selfWatched = selfAlone+s1-s0, selfWatched+s2-s1
	}
	if pid > 0 {
		fmt.Printf("CPU per run: server %.2f s alone, %.2f s with subscribers; this client %.2f s and %.2f s\n",
			cpuAlone/float64(runs), cpuWatched/float64(runs), selfAlone/float64(runs), selfWatched/float64(runs))
	}
	fmt.Printf("playbook %s, %d runs each: alone %v ms (median %d); with %d subscribers %v ms (median %d); slowdown %.1f%%\n",
		playbook, runs, alone, median(alone), subscribers, watched, median(watched),
		100*(float64(median(watched))/float64(median(alone))-1))
	fmt.Printf("events delivered to subscribers: %d\n", delivered.Load())
}

func median(v []int64) int64 {
	s := slices.Clone(v)
	slices.Sort(s)
	return s[len(s)/2]
}

func startAndWait(c *http.Client, base, key, playbook string, subs int, delivered, dropped *atomic.Int64) int64 {
	req, _ := http.NewRequest("POST", base+"/api/v1/playbooks/"+playbook+"/runs", strings.NewReader(`{"inputs":{}}`))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+key)
	res, err := c.Do(req)
	if err != nil {
		fmt.Fprintln(os.Stderr, "apiload:", err)
		os.Exit(1)
	}
	var started struct {
		RunID string `json:"run_id"`
	}
	json.NewDecoder(res.Body).Decode(&started)
	res.Body.Close()
	if started.RunID == "" {
		fmt.Fprintf(os.Stderr, "apiload: start: %d\n", res.StatusCode)
		os.Exit(1)
	}
	var wg sync.WaitGroup
	n := max(subs, 1)
	durations := make([]int64, n)
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			durations[i] = follow(c, base, key, started.RunID, delivered, dropped)
		}()
	}
	wg.Wait()
	return durations[0]
}

// follow reads a run's event stream to its end and returns the run's
// duration from the report of run_finished. It reads in large chunks and
// only counts events, so that 200 of these clients on the server's machine
// take as little CPU from it as they can.
func follow(c *http.Client, base, key, id string, delivered, dropped *atomic.Int64) int64 {
	req, _ := http.NewRequest("GET", base+"/api/v1/runs/"+id+"/events", nil)
	req.Header.Set("Authorization", "Bearer "+key)
	res, err := c.Do(req)
	if err != nil {
		fmt.Fprintln(os.Stderr, "apiload:", err)
		os.Exit(1)
	}
	defer res.Body.Close()
	sep := []byte("\ndata: ")
	buf := make([]byte, 256<<10)
	var tail []byte // the end of the stream, for the last event
	var events int64
	for {
		n, err := res.Body.Read(buf)
		if n > 0 {
			before := int64(bytes.Count(tail, sep)) // counted already
			chunk := append(tail, buf[:n]...)
			events += int64(bytes.Count(chunk, sep)) - before
			if i := bytes.LastIndex(chunk, sep); i >= 0 {
				tail = append(tail[:0], chunk[i:]...)
			} else {
				tail = chunk
			}
			if len(tail) > 64<<20 {
				tail = tail[len(tail)-(64<<20):]
			}
		}
		if err != nil {
			break
		}
	}
	if delivered != nil {
		delivered.Add(events)
	}
	line := bytes.TrimSpace(tail[len(sep):])
	var ev struct {
		Kind   string `json:"kind"`
		RunID  string `json:"run_id"`
		Report *struct {
			DurationMS int64 `json:"duration_ms"`
		} `json:"report"`
	}
	if json.Unmarshal(line, &ev) != nil || ev.Kind != "run_finished" || ev.Report == nil {
		fmt.Fprintf(os.Stderr, "apiload: the stream of %s did not end with run_finished\n", id)
		return -1
	}
	_ = dropped // dropped markers would show as fewer events delivered
	return ev.Report.DurationMS
}
