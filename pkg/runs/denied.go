package runs

import (
	"fmt"
	"strings"
	"time"

	"github.com/arsenal-run/arsenal-run/pkg/auth"
	"github.com/arsenal-run/arsenal-run/pkg/ops"
	"github.com/arsenal-run/arsenal-run/pkg/report"
	"github.com/arsenal-run/arsenal-run/pkg/steps"
)

// DeniedReport is the report of a run that preflight refused: denied steps
// with their rule, the others not run, and the steps of sub-playbooks
// nested under the playbook.run step that would have started them.
func DeniedReport(pb *steps.Playbook, runID string, roles []string, ds []auth.StepDecision, reg *ops.Registry) *report.Report {
	now := time.Now()
	rep := &report.Report{
		ReportVersion: report.FormatVersion, RunID: runID,
		Playbook: report.Playbook{Name: pb.Name, Path: pb.File, SHA256: pb.SHA256},
		Roles:    roles, Inputs: map[string]any{}, Status: report.StatusFailed,
		StartedAt: now, FinishedAt: now, Outputs: map[string]any{},
	}
	subs := map[string]*steps.Playbook{}
	load := func(path string) *steps.Playbook {
		if sub, ok := subs[path]; ok {
			return sub
		}
		sub, err := steps.Load(path, reg)
		if err != nil {
			sub = nil // preflight loaded it; if it changed since, leave it out
		}
		subs[path] = sub
		return sub
	}
	rep.Steps = deniedSteps(ds, "", load)
	var names []string
	for _, d := range auth.Denied(ds) {
		names = append(names, d.Step)
	}
	rep.Error = &report.Error{Class: string(ops.ClassAuthorization), Message: fmt.Sprintf("authorization denied %s (%s); nothing ran", plural(len(names), "step", "steps"), strings.Join(names, ", "))}
	return rep
}

// deniedSteps records the decisions of one playbook: those whose step path
// is prefix followed by a plain id.
func deniedSteps(ds []auth.StepDecision, prefix string, load func(string) *steps.Playbook) []report.Step {
	var out []report.Step
	for _, d := range ds {
		id, ok := strings.CutPrefix(d.Step, prefix)
		if !ok || strings.Contains(id, "/") {
			continue
		}
		s := report.Step{ID: id, Op: d.Op, Section: string(d.Section), RescueOf: d.RescueOf, Status: report.StatusSkipped,
			Reason:        "not run: authorization denied other steps",
			Authorization: &report.Decision{Allowed: d.Decision.Allowed, Rule: d.Decision.Rule, Via: d.Decision.Via}}
		if !d.Decision.Allowed {
			s.Status, s.Reason = report.StatusDenied, "denied: "+d.Decision.Rule
			s.Error = &report.Error{Class: string(ops.ClassAuthorization), Message: d.Decision.Rule}
		}
		inner := d.Step + "/"
		for _, c := range ds {
			if rest, ok := strings.CutPrefix(c.Step, inner); !ok || strings.Contains(rest, "/") {
				continue
			}
			if sub := load(c.Playbook); sub != nil {
				s.Sub = &report.SubRun{
					Playbook: report.Playbook{Name: sub.Name, Path: sub.File, SHA256: sub.SHA256},
					Status:   report.StatusFailed, Steps: deniedSteps(ds, inner, load),
					Error: &report.Error{Class: string(ops.ClassAuthorization), Message: "not run: authorization denied steps of the run"},
				}
			}
			break
		}
		out = append(out, s)
	}
	return out
}

// preflightDecisions hands the preflight verdicts to the engine, by step
// path, for the steps that never reach the authorizer.
func preflightDecisions(ds []auth.StepDecision) map[string]report.Decision {
	out := make(map[string]report.Decision, len(ds))
	for _, d := range ds {
		out[d.Step] = report.Decision{Allowed: d.Decision.Allowed, Rule: d.Decision.Rule, Via: d.Decision.Via}
	}
	return out
}

func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}
