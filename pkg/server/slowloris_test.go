package server

import (
	"io"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// Slowloris: 100 connections each sending one header byte every 2 s do not
// starve /healthz, and the server cuts them off at ReadHeaderTimeout.
func TestSlowlorisDoesNotStarveHealthz(t *testing.T) {
	if testing.Short() {
		t.Skip("takes several seconds")
	}
	const conns = 100
	ts := newTestServer(t, func(c *Config) { c.Limits.ReadHeaderTimeout = 3 * time.Second })
	addr := strings.TrimPrefix(ts.url, "http://")
	stop := make(chan struct{})
	var wg sync.WaitGroup
	var cut atomic.Int32
	var opened atomic.Int32
	start := time.Now()
	cutAfter := make(chan time.Duration, conns)
	for i := 0; i < conns; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c, err := net.Dial("tcp", addr)
			if err != nil {
				t.Errorf("dial: %v", err)
				return
			}
			defer c.Close()
			opened.Add(1)
			// The server closes the connection: a read sees it.
			closed := make(chan struct{})
			go func() {
				io.Copy(io.Discard, c)
				close(closed)
			}()
			header := "GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: " + strings.Repeat("a", 100)
			for j := 0; j < len(header); j++ {
				if _, err := c.Write([]byte{header[j]}); err != nil {
					break
				}
				select {
				case <-closed:
					cut.Add(1)
					cutAfter <- time.Since(start)
					return
				case <-stop:
					return
				case <-time.After(2 * time.Second):
				}
			}
		}()
	}
	eventually(t, "the slow connections to open", func() bool { return opened.Load() == conns })
	for i := 0; i < 20; i++ {
		began := time.Now()
		ts.get("", "/healthz").want(t, 200)
		if d := time.Since(began); d > 2*time.Second {
			t.Errorf("/healthz took %s beside the slow connections", d)
		}
		time.Sleep(50 * time.Millisecond)
	}
	eventually(t, "the server to cut the slow connections", func() bool { return cut.Load() == conns })
	close(stop)
	wg.Wait()
	close(cutAfter)
	for d := range cutAfter {
		if d > 15*time.Second {
			t.Errorf("a slow connection was cut only after %s", d)
			break
		}
	}
}
