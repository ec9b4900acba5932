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
// with their rule, the others not run.
func DeniedReport(pb *steps.Playbook, runID string, roles []string, ds []auth.StepDecision) *report.Report {
	now := time.Now()
	rep := &report.Report{
		ReportVersion: report.FormatVersion, RunID: runID,
		Playbook: report.Playbook{Name: pb.Name, Path: pb.File, SHA256: pb.SHA256},
		Roles:    roles, Inputs: map[string]any{}, Status: report.StatusFailed,
		StartedAt: now, FinishedAt: now, Outputs: map[string]any{},
	}
	denied := 0
	for _, d := range ds {
		if strings.Contains(d.Step, "/") {
			continue // steps of sub-playbooks are listed in the error
		}
		s := report.Step{ID: d.Step, Op: d.Op, Section: string(d.Section), Status: report.StatusSkipped,
			Reason:        "not run: authorization denied other steps",
			Authorization: &report.Decision{Allowed: d.Decision.Allowed, Rule: d.Decision.Rule, Via: d.Decision.Via}}
		if !d.Decision.Allowed {
			s.Status, s.Reason = report.StatusDenied, ""
			s.Error = &report.Error{Class: string(ops.ClassAuthorization), Message: d.Decision.Rule}
		}
		rep.Steps = append(rep.Steps, s)
	}
	var names []string
	for _, d := range auth.Denied(ds) {
		denied++
		names = append(names, d.Step)
	}
	rep.Error = &report.Error{Class: string(ops.ClassAuthorization), Message: fmt.Sprintf("authorization denied %s (%s); nothing ran", plural(denied, "step", "steps"), strings.Join(names, ", "))}
	return rep
}

func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}
