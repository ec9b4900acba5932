package plugin_test

import (
	"strings"
	"testing"

	"github.com/arsenal-run/arsenal-run/pkg/ops"
	"github.com/arsenal-run/arsenal-run/pkg/ops/internal/opstest"
	"github.com/arsenal-run/arsenal-run/pkg/ops/plugin"
)

// TestSilentExitSaysWhatToPrint: a program that fails without a word, on
// stdout or stderr, gets an error that says so and how a plugin says why
// it failed, not one that leaves whoever reads it nothing to go on.
func TestSilentExitSaysWhatToPrint(t *testing.T) {
	dir := t.TempDir()
	addPlugin(t, dir, "p", "#!/bin/sh\nexit 5\n",
		"version: 1\nname: acme.p\ncategory: acme\ndescription: A test.\nrisk: read\ncommand: [./p.prog]\n")
	_, err := opstest.Execute(registry(t, dir, plugin.Options{}), callCtx(), "acme.p", nil)
	want := `plugin acme.p exited with code 5 and printed nothing, on stdout or stderr; to say why it fails, print {"error": {"class": "execution", "message": "…"}} on stdout`
	if err == nil || ops.ClassOf(err) != ops.ClassExecution || !strings.Contains(err.Error(), want) {
		t.Fatalf("error = %v (class %s); want an execution error saying %q", err, ops.ClassOf(err), want)
	}
}
