package engine

import (
	"context"
	"errors"
	"sync"
	"testing"

	"github.com/arsenal-run/arsenal-run/pkg/ops"
	"github.com/arsenal-run/arsenal-run/pkg/report"
)

// allowAll allows every operation, as a role's rule that allows the
// operation whatever it is then given.
type allowAll struct{}

func (allowAll) Authorize(_ context.Context, c *Call) error {
	c.Decision = &report.Decision{Allowed: true, Rule: "role ops: max_risk write"}
	return nil
}

// TestItemFinishedCarriesItsDenial: a fan-out item the role's scope
// refused when it ran has, on its item_finished, the decision its report
// item records (denied when it ran, the rule, the refusal), so a live
// view says so as the item ends; the items that ran carry none.
func TestItemFinishedCarriesItsDenial(t *testing.T) {
	refuse := func(r *ops.Registry) {
		r.MustRegister(ops.Spec{Name: "test.scoped", Risk: ops.RiskRead, Params: []ops.Param{{Name: "path", Type: ops.TypeString}}},
			ops.Func(func(_ context.Context, p ops.Params) (map[string]any, error) {
				if p.String("path") == "/etc" {
					return nil, ops.WithClass(ops.ClassAuthorization, errors.New(`denied: path "/etc" is outside the allowed file roots`))
				}
				return map[string]any{}, nil
			}))
	}
	e := New(registry(t, refuse), WithAuthorizer(allowAll{}))
	var mu sync.Mutex
	got := map[int]*report.Decision{}
	obs := ObserverFunc(func(ev Event) {
		if ev.Kind == EventItemFinished {
			mu.Lock()
			defer mu.Unlock()
			got[*ev.Index] = ev.Authorization
		}
	})
	rep := mustRun(t, plan(t, e, header+`
steps:
  - {id: fan, op: test.scoped, foreach: '["/srv/app", "/etc"]', with: {path: "${{ item }}"}, fail_fast: false}
`), nil, WithRunObserver(obs))
	items := stepOf(t, rep, "fan").Items
	if len(items) != 2 || items[1].Authorization == nil || !items[1].Authorization.DeniedWhenRun {
		t.Fatalf("report items %+v, want item 1 denied when it ran", items)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(got) != 2 || got[0] != nil {
		t.Errorf("item_finished decisions %+v, want none on item 0", got)
	}
	d := got[1]
	if d == nil || d.Allowed || !d.DeniedWhenRun || d.Rule != "role ops: max_risk write" || d.Refusal != `path "/etc" is outside the allowed file roots` {
		t.Errorf("item 1's item_finished decision %+v, want denied when it ran with the rule and the refusal", d)
	}
}
