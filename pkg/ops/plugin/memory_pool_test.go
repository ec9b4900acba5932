package plugin_test

import (
	"strings"
	"sync"
	"testing"

	"github.com/arsenal-run/arsenal-run/pkg/ops/internal/opstest"
	"github.com/arsenal-run/arsenal-run/pkg/ops/plugin"
)

// TestPluginsHoldTheProcessOutputMemory: plugin steps printing a large
// answer at once hold their captured stdout in the registry's output
// memory as it comes, as shell.exec does, never more than its limit
// together, and give it all back. They held none: a fan-out of plugins
// held their output limit each, whatever the limit said.
func TestPluginsHoldTheProcessOutputMemory(t *testing.T) {
	const mib = 1 << 20
	dir := t.TempDir()
	addPlugin(t, dir, "big", `#!/bin/sh
read -r line
printf '{"x": "'
head -c 1000000 /dev/zero | tr '\0' x
printf '"}\n'
`, "version: 1\nname: acme.big\ncategory: acme\ndescription: Print a large answer.\nrisk: read\ncommand: [./big.prog]\n")
	r := registry(t, dir, plugin.Options{OutputLimit: mib})
	mem := r.OutputMemory()
	mem.SetLimit(8 * mib)
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			out, err := opstest.Execute(r, callCtx(), "acme.big", map[string]any{})
			if err != nil || out["x"] != strings.Repeat("x", 1000000) {
				t.Errorf("%v; x of %d bytes", err, len(out["x"].(string)))
			}
		})
	}
	wg.Wait()
	now, peak := mem.Used()
	if now != 0 || peak < mib || peak > 8*mib {
		t.Errorf("held %d bytes after, %d at most at once; want 0, and 1 to 8 MiB at once", now, peak)
	}
}
