package engine

import (
	"context"
	"time"

	"github.com/arsenal-run/arsenal-run/internal/exprsafe"
	"github.com/arsenal-run/arsenal-run/pkg/report"
	"github.com/arsenal-run/arsenal-run/pkg/steps"
)

// baseEnv is the expression environment of a phase of the run. Once the
// steps are done (status is not running), run.failed_steps lists those
// that failed. The phase's evaluations stop when ctx is done (nil: they
// are only bounded in work).
func (r *run) baseEnv(ctx context.Context, status string) map[string]any {
	failed := noFailedSteps
	if status != "running" {
		failed = r.failedSteps()
	}
	r.boxedOnce.Do(func() {
		r.boxed = runBoxed{id: r.id, startedAt: r.start.UTC().Format(time.RFC3339)}
	})
	return map[string]any{
		exprsafe.ContextVar: ctx,
		steps.EnvInputs:     r.inputs,
		steps.EnvVars:       r.vars,
		steps.EnvEnv:        r.env,
		steps.EnvSteps:      r.states,
		// nil without an inventory: inventory.hosts says so.
		steps.EnvInventory: r.o.inventory,
		steps.EnvRun: map[string]any{
			"id": r.boxed.id, "playbook": r.p.name, "status": boxedStatus(status),
			"started_at":   r.boxed.startedAt,
			"failed_steps": failed, "url": r.o.url,
		},
	}
}

// runBoxed are the values of run that do not change during a run, boxed
// once: baseEnv is called for each phase of the run.
type runBoxed struct {
	id, startedAt any
}

// noFailedSteps is run.failed_steps while the steps run, boxed once for
// every run: expressions read it, none changes it.
var noFailedSteps any = []any{}

// boxedStatus returns status as run.status holds it: the statuses a run
// ends with are boxed once for every run, not for each.
func boxedStatus(status string) any {
	switch report.Status(status) {
	case "running":
		return "running"
	case report.StatusSucceeded:
		return string(report.StatusSucceeded)
	case report.StatusFailed:
		return string(report.StatusFailed)
	case report.StatusCancelled:
		return string(report.StatusCancelled)
	}
	return status
}
