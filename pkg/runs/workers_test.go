package runs

import (
	"context"
	"regexp"
	"runtime"
	"testing"

	"github.com/arsenal-run/arsenal-run/pkg/ops"
)

// creatorRE finds, in a goroutine's own traceback, the goroutine that
// started it: the engine starts a step's operation from the run's.
var creatorRE = regexp.MustCompile(`created by .* in goroutine (\d+)`)

// TestRunsExecuteOnKeptGoroutines: runs one after another execute on a
// goroutine kept from an earlier run, whose stack has grown already,
// rather than each on a new one that grows its own (a twentieth of a
// scheduled run's CPU). Goroutine ids are never reused, so with a new
// goroutine a run every run would have a new one.
func TestRunsExecuteOnKeptGoroutines(t *testing.T) {
	reg := newRegistry(t)
	runner := make(chan string, 1)
	reg.MustRegister(ops.Spec{Name: "test.runner", Risk: ops.RiskRead}, ops.Func(func(context.Context, ops.Params) (map[string]any, error) {
		buf := make([]byte, 4096)
		m := creatorRE.FindSubmatch(buf[:runtime.Stack(buf, false)])
		if m == nil {
			runner <- ""
		} else {
			runner <- string(m[1])
		}
		return map[string]any{}, nil
	}))
	m := newManager(t, Config{Registry: reg}, Limits{MaxRunning: 1})
	path := writePlaybook(t, "version: 1\nname: runner\nsteps:\n  - {id: look, op: test.runner}\n")
	seen := map[string]bool{}
	again := 0
	for i := range 8 {
		h, err := m.Start(context.Background(), Request{Path: path})
		if err != nil {
			t.Fatal(err)
		}
		id := <-runner
		if id == "" {
			t.Fatalf("run %d: no creator in the operation's traceback", i)
		}
		if seen[id] {
			again++
		}
		seen[id] = true
		wait(t, h)
	}
	if again == 0 {
		t.Errorf("8 runs one after another executed on %d goroutines, each new; want some kept from an earlier run", len(seen))
	}
}
