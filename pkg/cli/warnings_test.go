package cli

import (
	"strings"
	"testing"
)

// TestValidateWarnings checks that validate and run print warnings, which
// do not make a playbook invalid.
func TestValidateWarnings(t *testing.T) {
	dir := t.TempDir()
	pb := writePlaybook(t, dir, "pb.yaml", `version: 1
name: warned
inputs:
  who: {type: string, default: world}
steps:
  - {id: a, op: control.log, with: {message: "hello {{ inputs.who }}"}}
`)
	want := pb + `:6:53: warning: {{ inputs.who }} is not interpolated and stays literal text; to use the value write ${{ inputs.who }}`
	res := runMain(t, "validate", pb)
	if res.code != ExitOK || !strings.Contains(res.stderr, want) || !strings.Contains(res.stdout, "ok  "+pb) {
		t.Errorf("validate: exit %d\nstdout:\n%s\nstderr:\n%s\nwant the warning %q", res.code, res.stdout, res.stderr, want)
	}
	res = runMain(t, "run", pb)
	if res.code != ExitOK || !strings.Contains(res.stderr, want) {
		t.Errorf("run: exit %d\nstderr:\n%s\nwant the warning %q", res.code, res.stderr, want)
	}
}
