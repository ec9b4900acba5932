package runs

import (
	"context"
	"testing"

	"github.com/arsenal-run/arsenal-run/pkg/report"
)

// noEnv is an environment of no variables whose Environ says so with nil,
// as an embedder's that appends to a nil slice does.
type noEnv struct{}

func (noEnv) LookupEnv(string) (string, bool) { return "", false }
func (noEnv) Environ() []string               { return nil }

// An Env whose Environ returns nil has no variables for the run's inputs
// either: they are not read from the process's environment, which the run
// itself does not see.
func TestEnvironNilResolvesInputsInNone(t *testing.T) {
	t.Setenv("ARSENAL_TEST_SERVER_SECRET", "hunter2")
	m := newManager(t, Config{Env: noEnv{}}, Limits{})
	path := writePlaybook(t, `version: 1
name: envnil
inputs:
  tok: {type: string, env: ARSENAL_TEST_SERVER_SECRET, default: unset}
steps:
  - id: noop
    op: control.noop
`)
	h, err := m.Start(context.Background(), Request{Path: path, Caller: Caller{Roles: []string{"admin"}}})
	if err != nil {
		t.Fatal(err)
	}
	rep := wait(t, h)
	if rep.Status != report.StatusSucceeded {
		t.Fatalf("run %s: %+v", rep.Status, rep.Error)
	}
	if got := rep.Inputs["tok"]; got != "unset" {
		t.Errorf("input tok = %v, want its default: the run's environment has no variables", got)
	}
}
