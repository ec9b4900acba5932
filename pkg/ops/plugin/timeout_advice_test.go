package plugin_test

import (
	"strings"
	"testing"
	"time"

	"github.com/arsenal-run/arsenal-run/pkg/ops"
	"github.com/arsenal-run/arsenal-run/pkg/ops/internal/opstest"
	"github.com/arsenal-run/arsenal-run/pkg/ops/plugin"
)

// TestTimeoutNamesTheManifest: a plugin stopped by its own timeout says
// where that timeout is set, since a step's timeout: cannot lengthen it.
func TestTimeoutNamesTheManifest(t *testing.T) {
	dir := t.TempDir()
	addPlugin(t, dir, "slow", "#!/bin/sh\nexec sleep 30\n",
		"version: 1\nname: acme.slow\ncategory: acme\ndescription: Slow.\nrisk: read\ncommand: [./slow.prog]\ntimeout: 200ms\n")
	_, err := opstest.Execute(registry(t, dir, plugin.Options{KillGrace: 100 * time.Millisecond}), callCtx(), "acme.slow", nil)
	want := "plugin acme.slow ran longer than its timeout of 200ms and was stopped; if it needs longer, raise timeout: in slow.yaml"
	if ops.ClassOf(err) != ops.ClassTimeout || err == nil || !strings.Contains(err.Error(), want) {
		t.Fatalf("error = %v; want a timeout saying %q", err, want)
	}
}
