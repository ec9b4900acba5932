package server

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"syscall"
	"testing"
	"time"
)

// BenchmarkExecuteHTTP is one execute of control.noop over a keep-alive
// loopback connection, client included, from 64 goroutines: what the load
// generator under bench/ measures, in a form that go test can profile.
func BenchmarkExecuteHTTP(b *testing.B) {
	b.Run("execute control.noop", func(b *testing.B) { benchHTTP(b, "POST", "/api/v1/operations/control.noop/execute") })
	// The floor: an authenticated request that runs nothing.
	b.Run("GET playbook", func(b *testing.B) { benchHTTP(b, "GET", "/api/v1/playbooks/hello") })
}

func benchHTTP(b *testing.B, method, path string) {
	ts := newTestServer(b)
	body := []byte(`{"params":{}}`)
	url := ts.url + path
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64, MaxConnsPerHost: 64}}
	defer client.CloseIdleConnections()
	b.SetParallelism(32)
	cpu0 := cpuTime()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			var rd io.Reader
			if method == "POST" {
				rd = bytes.NewReader(body)
			}
			req, _ := http.NewRequest(method, url, rd)
			if rd != nil {
				req.Header.Set("Content-Type", "application/json")
			}
			req.Header.Set("Authorization", "Bearer "+ts.keys["admin"])
			res, err := client.Do(req)
			if err != nil {
				b.Error(err)
				return
			}
			io.Copy(io.Discard, res.Body)
			res.Body.Close()
			if res.StatusCode != 200 {
				b.Errorf("status %d", res.StatusCode)
				return
			}
		}
	})
	b.StopTimer()
	// CPU time per request, client included: steadier than wall time on a
	// machine shared with other work.
	b.ReportMetric(float64((cpuTime()-cpu0).Microseconds())/float64(b.N), "cpu-µs/op")
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkExecuteHandler is the server's own part of an execute of
// control.noop: its handler, the run, history and the audit log, without
// the client and the connection, from 64 goroutines.
func BenchmarkExecuteHandler(b *testing.B) {
	ts := newTestServer(b)
	auth := "Bearer " + ts.keys["admin"]
	b.SetParallelism(32)
	cpu0 := cpuTime()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		body := &rewindBody{data: []byte(`{"params":{}}`)}
		req := httptest.NewRequest("POST", "/api/v1/operations/control.noop/execute", body)
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", auth)
		w := &statusRecorder{h: http.Header{}}
		for pb.Next() {
			body.off = 0
			clear(w.h)
			w.status = 0
			ts.srv.handler.ServeHTTP(w, req)
			if w.status != http.StatusOK {
				b.Errorf("status %d", w.status)
				return
			}
		}
	})
	b.StopTimer()
	b.ReportMetric(float64((cpuTime()-cpu0).Microseconds())/float64(b.N), "cpu-µs/op")
}
