package engine

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

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
