package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestInputGivenTwiceIsAUsageError: one input given twice with different
// values was quietly the last one, as a flag of one value is not. It is a
// usage error naming the input, not its values (it may be secret); the
// same value twice is one.
func TestInputGivenTwiceIsAUsageError(t *testing.T) {
	book := filepath.Join(t.TempDir(), "count.yaml")
	if err := os.WriteFile(book, []byte(`version: 1
name: count
inputs:
  count: {type: integer}
steps:
  - {id: a, op: control.log, with: {message: "count ${{ inputs.count }}"}}
`), 0o600); err != nil {
		t.Fatal(err)
	}
	r := runMain(t, "run", book, "--input", "count=1", "--input", "count=2")
	if r.code != ExitUsage || !strings.Contains(r.stderr, "--input count is given twice, with different values: give it once") ||
		strings.Contains(r.stderr, "count=2") {
		t.Errorf("twice: %d\n%s", r.code, r.stderr)
	}
	if r := runMain(t, "run", book, "--input", "count=1", "--input", "count=1"); r.code != ExitOK {
		t.Errorf("the same value twice: %d\n%s", r.code, r.stderr)
	}
	r = runEnv(t, map[string]string{"ARSENAL_API_KEY": "ak_x"}, "remote", "--server", "http://127.0.0.1:1", "run", "hello", "--input", "who=a", "--input", "who=b")
	if r.code != ExitUsage || !strings.Contains(r.stderr, "--input who is given twice, with different values: give it once") || strings.Contains(r.stderr, "refused") {
		t.Errorf("remote: %d %s", r.code, r.stderr)
	}
}
