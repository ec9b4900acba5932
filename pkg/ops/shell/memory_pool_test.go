package shell

import (
	"context"
	"strings"
	"sync"
	"testing"

	"github.com/arsenal-run/arsenal-run/pkg/ops/internal/opstest"
)

// TestOutputsHoldTheProcessOutputMemory: steps printing a large output at
// once hold their captured stdout in the registry's output memory as it
// comes, never more than its limit together, and give it all back. They
// held none: a fan-out of such steps held max_output and its text each.
func TestOutputsHoldTheProcessOutputMemory(t *testing.T) {
	const mib = 1 << 20
	r := newRegistry(t, nil)
	mem := r.OutputMemory()
	mem.SetLimit(8 * mib)
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			out, err := opstest.Execute(r, context.Background(), "shell.exec", map[string]any{"script": "head -c 1048576 /dev/zero | tr '\\0' x", "max_output": mib})
			if err != nil || out["stdout"] != strings.Repeat("x", mib) {
				t.Errorf("%v; stdout of %d bytes", err, len(out["stdout"].(string)))
			}
		})
	}
	wg.Wait()
	// Each holds its 1 MiB buffer and then its text.
	now, peak := mem.Used()
	if now != 0 || peak < 2*mib || peak > 8*mib {
		t.Errorf("held %d bytes after, %d at most at once; want 0, and 2 to 8 MiB at once", now, peak)
	}
}
