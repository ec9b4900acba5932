package builtin

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/arsenal-run/arsenal-run/pkg/ops"
)

// TestOtherToolsNamesLeadToBuiltinOps: every name an unknown-operation
// error answers for other tools' sake (op: shell, op: uri) leads to an
// operation the built-in registry has (playbook.run is the engine's).
func TestOtherToolsNamesLeadToBuiltinOps(t *testing.T) {
	r := newRegistry(t)
	noop := ops.Func(func(context.Context, ops.Params) (map[string]any, error) { return nil, nil })
	if err := r.Register(ops.Spec{Name: "playbook.run", Description: "runs a playbook", Risk: ops.RiskRead}, noop); err != nil {
		t.Fatal(err)
	}
	names := ops.OthersNames()
	if len(names) < 40 {
		t.Fatalf("OthersNames() = %d names", len(names))
	}
	for _, name := range names {
		_, err := r.Get(name)
		if !errors.Is(err, ops.ErrUnknownOp) {
			t.Errorf("Get(%q) = %v; a name other tools use is a registered op", name, err)
			continue
		}
		if !strings.Contains(err.Error(), "does elsewhere, write op: ") {
			t.Errorf("Get(%q) = %v; want the op it leads to", name, err)
		}
	}
}
