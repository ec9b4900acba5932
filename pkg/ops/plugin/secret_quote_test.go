package plugin_test

import (
	"strings"
	"testing"

	"github.com/arsenal-run/arsenal-run/pkg/ops/internal/opstest"
	"github.com/arsenal-run/arsenal-run/pkg/ops/plugin"
)

// TestUnusableAnswerWithSecretOutputsIsNotQuoted: a plugin that declares
// secret (writeOnly) outputs and answers something its output schema
// refuses gets an error that does not quote its stdout: the answer failed,
// so its secret values were never marked secret, and the quote went into
// the report, history, events and the audit log in clear.
func TestUnusableAnswerWithSecretOutputsIsNotQuoted(t *testing.T) {
	for name, answer := range map[string]string{
		"schema": `{"greeting": 5, "session": "S3ss-263348"}`,
		"json":   `{"session": "S3ss-263348"`,
	} {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			write(t, dir, "p.prog", "#!/bin/sh\necho '"+answer+"'\n", 0o755)
			write(t, dir, "p.yaml", "version: 1\nname: acme.p\ncategory: acme\ndescription: A test.\nrisk: read\ncommand: [./p.prog]\n"+
				"output: {type: object, properties: {greeting: {type: string}, session: {type: string, writeOnly: true}}}\n", 0o644)
			_, err := opstest.Execute(registry(t, dir, plugin.Options{}), callCtx(), "acme.p", nil)
			if err == nil {
				t.Fatal("want an error")
			}
			if strings.Contains(err.Error(), "S3ss") || !strings.Contains(err.Error(), "not quoted") {
				t.Errorf("error: %v", err)
			}
		})
	}
}
