package engine

import (
	"context"
	"testing"

	"github.com/arsenal-run/arsenal-run/pkg/ops"
)

// TestRefuseSwappableReachesTheOperations: the operations that install a
// local file elsewhere (file.template, file.copy, ssh.upload,
// archive.extract) refuse a source another user could swap only in the
// runs of an engine that refuses swappable files (serve, schedule): the
// call tells them so, and a run's own engine (run) does not.
func TestRefuseSwappableReachesTheOperations(t *testing.T) {
	seen := func(opts ...Option) bool {
		t.Helper()
		var got bool
		e := New(registry(t, func(r *ops.Registry) {
			r.MustRegister(ops.Spec{Name: "test.swaps", Risk: ops.RiskRead}, ops.Func(func(ctx context.Context, _ ops.Params) (map[string]any, error) {
				got = ops.CallFrom(ctx).RefuseSwappable
				return nil, nil
			}))
		}), opts...)
		mustRun(t, plan(t, e, "version: 1\nname: swaps\nsteps:\n  - {id: a, op: test.swaps}\n"), nil)
		return got
	}
	if !seen(RefuseSwappable()) {
		t.Error("an engine that refuses swappable files did not tell the operation")
	}
	if seen() {
		t.Error("an engine that does not refuse swappable files told the operation to")
	}
}
