package notify

import (
	"net"
	"strings"
	"sync"
	"testing"

	"github.com/arsenal-run/arsenal-run/pkg/ops"
)

// TestEmailSilentServerIsATimeout: a server that takes the connection and
// never answers fails the step with class timeout, saying it timed out,
// however the connection's deadline and the step's timeout fall. Before,
// the deadline often came first, and the step failed with class execution
// and a raw "i/o timeout": retry.when on the class, and the reader, took
// it for a refusal.
func TestEmailSilentServerIsATimeout(t *testing.T) {
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
			conns = append(conns, c) // held open, never written to
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
	raw := mailParams(l.Addr().(*net.TCPAddr).Port, "starttls")
	raw["timeout"] = "20ms"
	// Which comes first is up to the scheduler: try it often.
	const tries = 40
	errs := make([]error, tries)
	var wg sync.WaitGroup
	for i := range tries {
		wg.Go(func() { _, errs[i] = execute(t, registry(t), "notify.email", raw) })
	}
	wg.Wait()
	for i, err := range errs {
		if ops.ClassOf(err) != ops.ClassTimeout || !strings.Contains(err.Error(), "timed out") {
			t.Fatalf("try %d: %v (class %s), want class timeout saying it timed out", i, err, ops.ClassOf(err))
		}
	}
}
