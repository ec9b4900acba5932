// Command apiload puts load on a running `arsenal-run serve` and prints
// throughput, latency percentiles, errors and the server's memory. It is a
// benchmark tool, not part of the test suite; bench/README.md shows how it
// is run and what it measured.
//
//	apiload -mode exec  -conns 64 -duration 60s -pid PID
//	apiload -mode exec  -conns 64 -duration 60s -pid PID -client raw
//	apiload -mode exec  -conns 64 -duration 20s -pid PID -client raw -rate 15000
//	apiload -mode mixed -conns 64 -bad-conns 64 -duration 60s
//	apiload -mode sse   -subscribers 200 -playbook eventful -runs 5
//
// Without -rate each connection sends its next request when the last is
// answered (a closed loop), which finds the most the server answers and
// its latency at that load. With -rate the requests are sent on a fixed
// schedule (an open loop) and each latency is measured from the time the
// request was due, so a server that stalls shows it as latency.
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
	rate := flag.Float64("rate", 0, "exec, mixed: send the valid key's requests at this many a second over its connections, measuring each from its scheduled time; 0 sends each connection's next request when the last is answered")
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
		if *rate < 0 {
			fmt.Fprintln(os.Stderr, "apiload: -rate is requests a second, 0 or more")
			os.Exit(2)
		}
		load(*base, key, *op, *get, *kind, *conns, bad, *rate, *warmup, *duration, *pid)
	case "sse":
		sse(*base, key, *playbook, *subscribers, *runsN, *pid)
	default:
		fmt.Fprintln(os.Stderr, "apiload: -mode is exec, mixed or sse")
		os.Exit(2)
	}
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
