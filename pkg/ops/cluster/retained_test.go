package cluster

import (
	"context"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestTopologyKeepsNoBodies: the probes of cluster.topology keep what a
// node's /healthz says of it, not its body: the bodies of 400 nodes
// answering 64 KiB each (about 26 MB) are not held until every node is
// probed. They were, up to MaxNodes times 64 KiB (640 MiB), beside the
// output memory.
func TestTopologyKeepsNoBodies(t *testing.T) {
	big := `{"version": "1.2.3", "ops": 7, "pad": "` + strings.Repeat("x", 64<<10-64) + `"}`
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.Write([]byte(big)) }))
	defer srv.Close()
	p := &Prober{}
	defer p.Close()
	nodes := make([]Node, 400)
	for i := range nodes {
		nodes[i] = Node{Name: "n" + strconv.Itoa(i), URL: srv.URL + "/healthz"}
	}
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	results, err := p.probeAll(context.Background(), nodes, 16, 30*time.Second, true)
	runtime.GC()
	runtime.ReadMemStats(&after)
	if err != nil {
		t.Fatal(err)
	}
	if held := int64(after.HeapAlloc) - int64(before.HeapAlloc); held > 4<<20 {
		t.Errorf("the results of %d probes hold %d bytes", len(nodes), held)
	}
	for i := range results {
		if results[i].status != "up" || arsenalOf(results[i])["version"] != "1.2.3" {
			t.Fatalf("node %d: %+v", i, results[i].status)
		}
	}
	runtime.KeepAlive(results)
}

func arsenalOf(r result) map[string]any { return r.arsenal }
