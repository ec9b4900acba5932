package engine

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/arsenal-run/arsenal-run/pkg/steps"
)

// TestInputFromEnvFileNamesItsLine: a value an env file gives an input
// that does not fit it is reported at the file and line that set it, not
// only as "from $PORT", which sends one looking in the shell's
// environment; a value from the environment itself names no file.
func TestInputFromEnvFileNamesItsLine(t *testing.T) {
	dir := t.TempDir()
	for name, data := range map[string]string{
		".env":     "A=1\n",
		"prod.env": "# ports\nPORT=eighty\nPIN=s3cret-pin\n",
		"pb.yaml": header + `
env_file: [.env, prod.env]
inputs:
  port: {type: integer, default: 80, env: PORT}
  pin: {type: integer, secret: true, default: 0, env: PIN}
steps:
  - {id: a, op: control.noop}
`,
	} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(data), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	e := New(registry(t, newTestOps().register))
	pb, err := steps.Load(filepath.Join(dir, "pb.yaml"), e.Registry())
	if err != nil {
		t.Fatal(err)
	}
	p := e.Plan(pb)
	_, err = p.Run(context.Background(), nil, WithEnviron([]string{}))
	for _, want := range []string{
		`port (from $PORT, set by env_file prod.env:2): want an integer, got "eighty"`,
		"pin (from $PIN, set by env_file prod.env:3): the value does not fit this secret integer input (it is not shown)",
	} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("got %v, want …%s…", err, want)
		}
	}
	if err != nil && strings.Contains(err.Error(), "s3cret") {
		t.Errorf("the secret is quoted: %v", err)
	}
	_, err = p.Run(context.Background(), nil, WithEnviron([]string{"PORT=x", "PIN=1"}))
	if err == nil || !strings.Contains(err.Error(), `port (from $PORT): want an integer, got "x"`) {
		t.Errorf("a value from the environment: %v", err)
	}
}

// TestSubPlaybookEnvFilesOverrideTheCallers: a sub-playbook's env files
// override what its caller's env files set, so that it sees what its own
// files say whether it runs alone or is called; it still inherits the
// names its files do not set, and the environment the run was given wins
// over every file. Before, the caller's files won, and a sub-playbook
// called from another with the same variable quietly took the caller's
// value (its target, its credentials).
func TestSubPlaybookEnvFilesOverrideTheCallers(t *testing.T) {
	e, _ := newEngine(t)
	if err := RegisterPlaybookOp(e); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := os.Mkdir(filepath.Join(dir, "sub"), 0o755); err != nil {
		t.Fatal(err)
	}
	for name, data := range map[string]string{
		".env":     "TARGET=parent-db\nONLY_PARENT=p\nHOST_SET=parent-file\n",
		"sub/.env": "TARGET=sub-db\nHOST_SET=sub-file\n",
		"sub/s.yaml": `version: 1
name: s
env_file: .env
inputs:
  target: {type: string, env: TARGET}
steps:
  - {id: a, op: control.noop}
outputs:
  env: "${{ [env.TARGET, env.ONLY_PARENT, env.HOST_SET, inputs.target] }}"
`,
		"p.yaml": `version: 1
name: p
env_file: .env
steps:
  - {id: s, op: playbook.run, with: {path: sub/s.yaml}}
  - {id: after, op: control.set, with: {target: "${{ env.TARGET }}"}}
outputs:
  sub: "${{ steps.s.output.outputs.env }}"
  after: "${{ steps.after.output.target }}"
`,
	} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(data), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	p, err := e.Load(filepath.Join(dir, "p.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	rep := mustRun(t, p, nil, WithEnviron([]string{"HOST_SET=host"}))
	want := map[string]any{"sub": []any{"sub-db", "p", "host", "sub-db"}, "after": "parent-db"}
	if diff := cmp.Diff(want, rep.Outputs); diff != "" {
		t.Errorf("outputs (-want +got):\n%s", diff)
	}
}
