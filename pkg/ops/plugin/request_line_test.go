package plugin_test

import (
	"testing"

	"github.com/arsenal-run/arsenal-run/pkg/ops/internal/opstest"
	"github.com/arsenal-run/arsenal-run/pkg/ops/plugin"
)

// TestRequestIsALine: the request ends with a newline, so that a shell
// plugin written with set -e reads it with read -r, which fails at an end
// of input with no newline and would stop the script without a word.
func TestRequestIsALine(t *testing.T) {
	dir := t.TempDir()
	addPlugin(t, dir, "hi", "#!/bin/sh\nset -eu\nread -r req\nprintf '{\"got\": %s}\\n' \"$req\"\n",
		"version: 1\nname: acme.hi\ncategory: acme\ndescription: Echo the request.\nrisk: read\ncommand: [./hi.prog]\nparams: {type: object, properties: {who: {type: string}}}\n")
	out, err := opstest.Execute(registry(t, dir, plugin.Options{}), callCtx(), "acme.hi", map[string]any{"who": "Ada"})
	if err != nil {
		t.Fatalf("a set -e script reading the request with read -r: %v", err)
	}
	got, _ := out["got"].(map[string]any)
	if params, _ := got["params"].(map[string]any); params["who"] != "Ada" {
		t.Errorf("the request read = %v; want its params whole", out["got"])
	}
}
