package plugin_test

import (
	"fmt"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/arsenal-run/arsenal-run/pkg/ops"
	"github.com/arsenal-run/arsenal-run/pkg/ops/internal/jsoncost"
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

// smallObjects is a plugin printing {"x": [{}, {}, …]}, n objects: an
// answer that takes about twenty times its text decoded.
func smallObjects(n int) string {
	return `#!/bin/sh
read -r line
printf '{"x": ['
yes '{},' | head -n ` + strconv.Itoa(n-1) + ` | tr -d '\n'
printf '{}]}\n'
`
}

// TestPluginAnswerDecodedHoldsTheOutputMemory: a plugin's answer, once
// decoded, is held in the output memory, and one that would take more
// than the whole of it decoded is refused, naming the setting, instead
// of being decoded beside it. The decoded answer was not counted: an
// answer of 300,000 small objects took about 25 MiB the pool never saw.
func TestPluginAnswerDecodedHoldsTheOutputMemory(t *testing.T) {
	const mib = 1 << 20
	dir := t.TempDir()
	manifest := "version: 1\nname: acme.%s\ncategory: acme\ndescription: Print small objects.\nrisk: read\ncommand: [./%s.prog]\n"
	addPlugin(t, dir, "some", smallObjects(20000), fmt.Sprintf(manifest, "some", "some"))
	addPlugin(t, dir, "many", smallObjects(300000), fmt.Sprintf(manifest, "many", "many"))
	r := registry(t, dir, plugin.Options{OutputLimit: mib})
	mem := r.OutputMemory()
	mem.SetLimit(16 * mib)

	out, err := opstest.Execute(r, callCtx(), "acme.some", map[string]any{})
	if err != nil || len(out["x"].([]any)) != 20000 {
		t.Fatalf("acme.some: %v", err)
	}
	answer := []byte(`{"x": [` + strings.Repeat("{},", 19999) + `{}]}`)
	if now, peak := mem.Used(); now != 0 || peak < jsoncost.Of(answer) {
		t.Errorf("held %d bytes after, %d at most; want 0, and at least the %d its answer takes decoded", now, peak, jsoncost.Of(answer))
	}

	_, err = opstest.Execute(r, callCtx(), "acme.many", map[string]any{})
	if err == nil || !strings.Contains(err.Error(), "plugin acme.many printed an answer of 900008 bytes, which would take about") ||
		!strings.Contains(err.Error(), ops.OutputMemorySetting) || ops.ClassOf(err) != ops.ClassExecution {
		t.Errorf("acme.many: %v", err)
	}
	if now, _ := mem.Used(); now != 0 {
		t.Errorf("held %d bytes after", now)
	}
}
