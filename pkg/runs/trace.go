package runs

import (
	"context"

	"go.opentelemetry.io/otel/trace"

	"github.com/arsenal-run/arsenal-run/pkg/telemetry"
)

// startTrace starts the run's span, a child of the span the request was
// made under; with telemetry off it returns ctx and a nil *telemetry.Run,
// which does nothing.
func (s *Service) startTrace(ctx context.Context, p *prepared) (context.Context, *telemetry.Run) {
	if s.cfg.Telemetry == nil {
		return ctx, nil
	}
	if p.parent.IsValid() {
		ctx = trace.ContextWithSpanContext(ctx, p.parent)
	}
	req := p.req
	return s.cfg.Telemetry.StartRun(ctx, telemetry.RunInfo{RunID: p.runID, Playbook: p.plan.Playbook().Name,
		Trigger: string(req.Caller.Trigger), Roles: req.Caller.Roles, DryRun: req.DryRun})
}
