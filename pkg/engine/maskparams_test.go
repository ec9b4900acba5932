package engine

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/arsenal-run/arsenal-run/pkg/ops"
)

// paramsSeen keeps what an auditor is shown of each call's params.
type paramsSeen struct {
	mu   sync.Mutex
	seen []map[string]any
}

func (p *paramsSeen) Audit(c *Call, _ map[string]any, _ error, _ time.Duration) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.seen = append(p.seen, c.MaskedParams())
	return nil
}

// TestMaskedParamsHideCredentialHeaders: the values of credential headers
// are credentials even when the playbook writes them out rather than
// taking them from a secret: the audit log does not keep them.
func TestMaskedParamsHideCredentialHeaders(t *testing.T) {
	reg := registry(t, func(r *ops.Registry) {
		r.MustRegister(ops.Spec{Name: "test.get", Risk: ops.RiskRead, Params: []ops.Param{{Name: "headers", Type: ops.TypeMap}}},
			ops.Func(func(context.Context, ops.Params) (map[string]any, error) { return map[string]any{}, nil }))
	})
	audit := &paramsSeen{}
	e := New(reg, WithAuditor(audit))
	mustRun(t, plan(t, e, header+`
steps:
  - id: a
    op: test.get
    with: {headers: {Authorization: "Bearer ghp_XYZ", cookie: "sid=abc", Accept: text/plain}}
`), nil)
	want := []map[string]any{{"headers": map[string]any{"Authorization": "***", "cookie": "***", "Accept": "text/plain"}}}
	if diff := cmp.Diff(want, audit.seen); diff != "" {
		t.Errorf("audited params (-want +got):\n%s", diff)
	}
}
