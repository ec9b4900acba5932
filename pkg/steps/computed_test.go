package steps

import (
	"strings"
	"testing"
)

// TestFanOutSettingsNotComputed: concurrency, fail_fast, max_parallel and
// max_fail_percentage written as ${{ }}, as GitHub Actions' max-parallel
// and fail-fast may be, were "must be an integer, not a string", as if
// quoting were the mistake; the error says they are read when the
// playbook loads, as serial's does, and what to write.
func TestFanOutSettingsNotComputed(t *testing.T) {
	src := "version: 1\nname: k\nmax_parallel: \"${{ inputs.n }}\"\ninputs:\n  n: {type: integer, default: 2}\n" +
		"steps:\n  - id: a\n    op: control.noop\n    foreach: [1, 2]\n    serial: 1\n    max_fail_percentage: \"${{ inputs.n }}\"\n" +
		"  - id: b\n    op: control.noop\n    foreach: [1, 2]\n    concurrency: \"${{ inputs.n }}\"\n    fail_fast: \"${{ inputs.n > 1 }}\"\n"
	_, err := Parse("p.yaml", []byte(src), testRegistry(t))
	if err == nil {
		t.Fatal("loaded; want it refused")
	}
	for _, want := range []string{
		"p.yaml:3:15: max_parallel is read when the playbook loads and cannot be computed with ${{ }}; write how many steps run at once (max_parallel: 4)",
		"p.yaml:11:26: max_fail_percentage is read when the playbook loads and cannot be computed with ${{ }}; write a percentage from 0 to 100",
		"p.yaml:15:18: concurrency is read when the playbook loads and cannot be computed with ${{ }}; write how many items run at once (concurrency: 4)",
		"p.yaml:16:16: fail_fast is read when the playbook loads and cannot be computed with ${{ }}; write true or false",
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("want %q in:\n%s", want, err)
		}
	}
	if strings.Count(err.Error(), "\n") != 3 {
		t.Errorf("want four errors, one a setting:\n%s", err)
	}
}
