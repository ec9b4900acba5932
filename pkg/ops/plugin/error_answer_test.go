package plugin_test

import (
	"testing"

	"github.com/arsenal-run/arsenal-run/pkg/ops/internal/opstest"
	"github.com/arsenal-run/arsenal-run/pkg/ops/plugin"
)

// TestDeclaredErrorFieldIsAnAnswer: an answer made of an error field is
// the plugin's output, not its failure, when the output schema declares
// that field.
func TestDeclaredErrorFieldIsAnAnswer(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, "p.prog", "#!/bin/sh\necho '{\"error\": {\"class\": \"validation\", \"message\": \"last seen\"}}'\n", 0o755)
	write(t, dir, "p.yaml", "version: 1\nname: acme.p\ncategory: acme\ndescription: A test.\nrisk: read\ncommand: [./p.prog]\n"+
		"output: {type: object, properties: {error: {type: object}}}\n", 0o644)
	reg := registry(t, dir, plugin.Options{})
	out, err := opstest.Execute(reg, callCtx(), "acme.p", nil)
	if err != nil {
		t.Fatalf("a declared error field failed the step: %v", err)
	}
	if e, _ := out["error"].(map[string]any); e["message"] != "last seen" {
		t.Errorf("output %v", out)
	}
}
