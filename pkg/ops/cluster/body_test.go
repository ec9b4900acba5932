package cluster

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/arsenal-run/arsenal-run/pkg/ops"
	"github.com/arsenal-run/arsenal-run/pkg/ops/internal/opstest"
)

// largeAnswer is a /healthz-like answer of maxBody bytes.
var largeAnswer = `{"version":"` + strings.Repeat("v", maxBody-22) + `","ops":7}`

// TestProbesHoldTheirAnswersInThePool: the probes of a topology hold the
// answers they read in the output memory, so that no more of them are in
// flight than the pool has room for (two here, of four at concurrency 4);
// they were outside it, 64 KiB and its copies a probe, 16 MiB at
// concurrency 256 whatever the pool's limit. The server holds each answer
// until three are asked at once or a second has passed: without the pool
// all four are.
func TestProbesHoldTheirAnswersInThePool(t *testing.T) {
	var inFlight, peak atomic.Int64
	three := make(chan struct{})
	var once sync.Once
	s := server(t, func(w http.ResponseWriter, _ *http.Request) {
		n := inFlight.Add(1)
		defer inFlight.Add(-1)
		for p := peak.Load(); n > p && !peak.CompareAndSwap(p, n); p = peak.Load() {
		}
		if n >= 3 {
			once.Do(func() { close(three) })
		}
		select {
		case <-three:
		case <-time.After(time.Second):
		}
		fmt.Fprint(w, largeAnswer)
	})
	r := newRegistry(t)
	mem := r.OutputMemory()
	mem.SetLimit(2 * bodyRoom(true))
	var nodes []any
	for i := range 4 {
		nodes = append(nodes, map[string]any{"name": fmt.Sprint("n", i), "url": s.URL})
	}
	out, err := opstest.Execute(r, context.Background(), "cluster.topology", map[string]any{"nodes": nodes, "concurrency": 4, "timeout": "30s"})
	if err != nil || out["status"] != "healthy" {
		t.Fatalf("%v %v", out, err)
	}
	now, held := mem.Used()
	if p := peak.Load(); p > 2 || held < bodyRoom(true) || now != 0 {
		t.Errorf("%d answers in flight at once, the pool held %d at most (%d still); want 2 at most in a pool of %d", p, held, now, mem.Limit())
	}
}

// TestProbeTooLargeForThePool: a pool too small for one probe's answer
// fails the step, naming the node and the limit to raise; cluster.health,
// which keeps no answer, still probes.
func TestProbeTooLargeForThePool(t *testing.T) {
	s := server(t, ok)
	r := newRegistry(t)
	r.OutputMemory().SetLimit(100 << 10)
	nodes := []any{map[string]any{"name": "web-1", "url": s.URL}}
	_, err := opstest.Execute(r, context.Background(), "cluster.topology", map[string]any{"nodes": nodes})
	if err == nil || ops.ClassOf(err) != ops.ClassExecution || !strings.Contains(err.Error(), "node web-1: cluster.topology's probe would hold 192.0 KiB") ||
		!strings.Contains(err.Error(), "raise the limit (--max-output-memory") {
		t.Fatalf("got %v (class %v), want the node named and the flag to raise", err, ops.ClassOf(err))
	}
	out, err := opstest.Execute(r, context.Background(), "cluster.health", map[string]any{"nodes": nodes})
	if err != nil || out["status"] != "healthy" {
		t.Fatalf("health: %v %v", out, err)
	}
}
