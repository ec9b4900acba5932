package cli

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestProtectedFilesAreNoPlaybookNorSink: the state dir's report key and
// the policy file, named as the playbook, are refused without a word of
// their content, and as a --report path they are not replaced. Before,
// the parse error quoted 40 hex digits of the key, and --report
// state/report.key replaced it with a readable report.
func TestProtectedFilesAreNoPlaybookNorSink(t *testing.T) {
	dir := t.TempDir()
	state := filepath.Join(dir, "state")
	hello := writePlaybook(t, dir, "hello.yaml", "version: 1\nname: hello\nsteps:\n  - {id: a, op: control.noop}\n")
	if r := runMain(t, "run", hello, "--state-dir", state); r.code != ExitOK {
		t.Fatalf("first run: exit %d\n%s", r.code, r.stderr)
	}
	keyFile := filepath.Join(state, "report.key")
	key, err := os.ReadFile(keyFile)
	if err != nil {
		t.Fatal(err)
	}
	r := runMain(t, "run", keyFile, "--state-dir", state)
	if r.code != ExitUsage || !strings.Contains(r.stderr, "state dir") || strings.Contains(r.stderr, string(key[:8])) {
		t.Errorf("the key as the playbook: exit %d\n%s", r.code, r.stderr)
	}
	policy := writePlaybook(t, dir, "policy.yaml", "version: 1\nroles:\n  ops: {allow: [\"*\"]}\n")
	r = runMain(t, "run", policy, "--policy", policy, "--role", "ops")
	if r.code != ExitUsage || !strings.Contains(r.stderr, "policy file") || strings.Contains(r.stderr, "roles") {
		t.Errorf("the policy as the playbook: exit %d\n%s", r.code, r.stderr)
	}
	r = runMain(t, "run", hello, "--state-dir", state, "--report", keyFile)
	if r.code != ExitUsage || !strings.Contains(r.stderr, "--report "+keyFile) || !strings.Contains(r.stderr, "give a path outside it") {
		t.Errorf("--report over the key: exit %d\n%s", r.code, r.stderr)
	}
	if now, err := os.ReadFile(keyFile); err != nil || !bytes.Equal(now, key) {
		t.Errorf("the key changed: %v", err)
	}
}
