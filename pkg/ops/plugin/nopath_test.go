package plugin_test

import (
	"strings"
	"testing"

	"github.com/arsenal-run/arsenal-run/pkg/ops/internal/opstest"
	"github.com/arsenal-run/arsenal-run/pkg/ops/plugin"
)

// TestCommandNotFoundWithoutPath: a script that runs a command by name,
// found from its author's terminal but not under the run, which passes
// no PATH unless the manifest lists it, is told why; with PATH listed,
// the hint would mislead and is not given.
func TestCommandNotFoundWithoutPath(t *testing.T) {
	const want = `code 127 is a shell's "command not found", and the program gets no PATH unless t.yaml lists it: add PATH to its env:`
	for _, tc := range []struct {
		env  string
		hint bool
	}{{"", true}, {"env: [PATH]\n", false}} {
		dir := t.TempDir()
		addPlugin(t, dir, "t", "#!/bin/sh\nread -r req\nno-such-tool-of-this-test\n",
			"version: 1\nname: acme.t\ncategory: acme\ndescription: A test.\nrisk: read\ncommand: [./t.prog]\n"+tc.env)
		_, err := opstest.Execute(registry(t, dir, plugin.Options{}), callCtx("PATH=/usr/bin:/bin"), "acme.t", nil)
		if err == nil || !strings.Contains(err.Error(), "exited with code 127") {
			t.Fatalf("%q: error = %v; want exit code 127", tc.env, err)
		}
		if got := strings.Contains(err.Error(), want); got != tc.hint {
			t.Errorf("%q: hint given %v, want %v:\n%v", tc.env, got, tc.hint, err)
		}
	}
}
