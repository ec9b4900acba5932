package cli

import (
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// notHung runs f, failing the test if it has not returned within a
// generous bound: what it tests would otherwise hang for ever.
func notHung(t *testing.T, what string, f func() result) result {
	t.Helper()
	done := make(chan result, 1)
	go func() { done <- f() }()
	select {
	case r := <-done:
		return r
	case <-time.After(30 * time.Second):
		t.Fatalf("%s: still waiting after 30s", what)
		return result{}
	}
}

// TestRemoteFollowReconnectsAnIdleStream: a stream that brings nothing,
// not even the server's keep-alives, is taken as broken and resumed on a
// new connection.
func TestRemoteFollowReconnectsAnIdleStream(t *testing.T) {
	old := streamIdle
	streamIdle = 200 * time.Millisecond
	t.Cleanup(func() { streamIdle = old })
	quit := make(chan struct{})
	srv := fakeRunServer(t, func(w http.ResponseWriter, r *http.Request) {
		seen, _ := strconv.ParseUint(r.Header.Get("Last-Event-ID"), 10, 64)
		w.Header().Set("Content-Type", "text/event-stream")
		w.WriteHeader(http.StatusOK)
		if seen == 0 {
			writeEvent(t, w, 1, "run_started")
			// A server that stopped, a connection dropped silently.
			select {
			case <-r.Context().Done():
			case <-quit:
			}
			return
		}
		writeEvent(t, w, seen+1, "run_finished")
	})
	t.Cleanup(func() { close(quit) }) // before the server's Close, which waits for the handlers
	r := notHung(t, "remote run --wait on a silent stream", func() result {
		return runEnv(t, map[string]string{"ARSENAL_SERVER": srv.URL, "ARSENAL_API_KEY": "ak_test"}, "remote", "run", "sleeper", "--wait")
	})
	r.want(t, ExitOK, []string{"succeeded"}, nil)
}

// silentServer accepts connections and never answers, as a server that
// was stopped (SIGSTOP) does: the kernel still accepts for it.
func silentServer(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var conns []net.Conn
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
		}
	}()
	t.Cleanup(func() {
		l.Close()
		mu.Lock()
		defer mu.Unlock()
		for _, c := range conns {
			c.Close()
		}
	})
	return l.Addr().String()
}

// TestRemoteGivesUpOnASilentServer: a request to a server that accepts
// the connection but never answers fails, with a hint, instead of
// waiting for ever; over TLS, the handshake is bounded.
func TestRemoteGivesUpOnASilentServer(t *testing.T) {
	oldAnswer, oldTLS := answerTimeout, tlsHandshakeTimeout
	answerTimeout, tlsHandshakeTimeout = 200*time.Millisecond, 200*time.Millisecond
	t.Cleanup(func() { answerTimeout, tlsHandshakeTimeout = oldAnswer, oldTLS })
	addr := silentServer(t)
	env := map[string]string{"ARSENAL_API_KEY": "ak_test"}
	r := notHung(t, "remote exec", func() result {
		return runEnv(t, env, "remote", "--server", "http://"+addr, "exec", "control.noop", "--timeout", "100ms")
	})
	r.want(t, ExitFailed, nil, []string{"timeout awaiting response headers", "the server did not answer in time"})
	r = notHung(t, "remote ops list over TLS", func() result {
		return runEnv(t, env, "remote", "--server", "https://"+addr, "ops", "list")
	})
	r.want(t, ExitFailed, nil, []string{"TLS handshake timeout"})
}

// TestRemoteExecWaitsForItsOperation: an execute's answer comes once its
// operation ended; the bound on the answer leaves it its timeout.
func TestRemoteExecWaitsForItsOperation(t *testing.T) {
	old := answerTimeout
	answerTimeout = 200 * time.Millisecond
	t.Cleanup(func() { answerTimeout = old })
	mux := http.NewServeMux()
	mux.HandleFunc("POST /api/v1/operations/control.sleep/execute", func(w http.ResponseWriter, r *http.Request) {
		time.Sleep(time.Second) // the operation runs
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, `{"run_id":"x","op":"control.sleep","status":"succeeded","result":{"slept":"1s"},"duration_ms":1000}`)
	})
	srv := httptest.NewServer(mux)
	defer srv.Close()
	runEnv(t, map[string]string{"ARSENAL_API_KEY": "ak_test"}, "remote", "--server", srv.URL, "exec", "control.sleep", "--param", "duration=1s", "--timeout", "10s").
		want(t, ExitOK, []string{`"slept": "1s"`}, nil)
}

// TestRemoteSecondSignalExitsAtOnce: after the first signal, which asks
// the server to cancel the run, another one (past the same request's
// second) exits at once with its own code, naming the run, even while
// the server does not answer the cancel.
func TestRemoteSecondSignalExitsAtOnce(t *testing.T) {
	streaming := make(chan struct{}, 1)
	cancelAsked := make(chan struct{}, 1)
	srv := fakeRunServer(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		w.WriteHeader(http.StatusOK)
		writeEvent(t, w, 1, "run_started")
		select {
		case streaming <- struct{}{}:
		default:
		}
		for {
			select {
			case <-r.Context().Done():
				return
			case <-time.After(100 * time.Millisecond):
			}
			if _, err := fmt.Fprint(w, ": keep-alive\n\n"); err != nil {
				return
			}
			w.(http.Flusher).Flush()
		}
	})
	srv.Config.Handler.(*http.ServeMux).HandleFunc("POST /api/v1/runs/{id}/cancel", func(w http.ResponseWriter, r *http.Request) {
		select {
		case cancelAsked <- struct{}{}:
		default:
		}
		<-r.Context().Done() // a server that does not answer
	})
	p := startEnv(t, []string{"ARSENAL_SERVER=" + srv.URL, "ARSENAL_API_KEY=ak_test"}, "run "+fakeRunID, "remote", "run", "sleeper", "--follow")
	defer func() {
		if p.cmd.ProcessState == nil {
			p.cmd.Process.Kill()
			<-p.done
		}
	}()
	waitOn := func(ch chan struct{}, what string) {
		select {
		case <-ch:
		case <-time.After(30 * time.Second):
			t.Fatalf("%s never came; stderr:\n%s", what, p.stderr.String())
		}
	}
	waitOn(streaming, "the stream's request") // the signals are caught from before it
	p.cmd.Process.Signal(syscall.SIGINT)
	waitOn(cancelAsked, "the cancel's request")
	// Signals until one comes after the same request's second.
	deadline := time.After(30 * time.Second)
	for exited := false; !exited; {
		p.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-p.done:
			exited = true
		case <-time.After(200 * time.Millisecond):
		case <-deadline:
			t.Fatalf("still running after repeated signals; stderr:\n%s", p.stderr.String())
		}
	}
	if code := p.cmd.ProcessState.ExitCode(); code != ExitTerminated {
		t.Errorf("exit code %d, want %d; stderr:\n%s", code, ExitTerminated, p.stderr.String())
	}
	for _, want := range []string{"interrupted by SIGINT, then by SIGTERM: exiting now; run " + fakeRunID + " may still be going on the server"} {
		if !strings.Contains(p.stderr.String(), want) {
			t.Errorf("stderr does not say %q:\n%s", want, p.stderr.String())
		}
	}
}
