package cli

import (
	"errors"
	"fmt"
	"strings"

	"github.com/arsenal-run/arsenal-run/pkg/auth"
	"github.com/arsenal-run/arsenal-run/pkg/report"
)

// checkGrantInputs applies the rule that a grant pins a runbook's inputs
// as well as its file: when a step rests on the playbook's grant and the
// caller set an input that neither the grant nor the runbook constrains
// (or a value their rule refuses), those steps are denied before anything
// runs. It returns the verdicts and, on a refusal, the explanation to
// print.
func checkGrantInputs(decisions []auth.StepDecision, subject *auth.Subject, inputs map[string]any) ([]auth.StepDecision, string) {
	if !auth.UsesGrant(decisions) {
		return decisions, ""
	}
	err := subject.CheckInputs(inputs)
	var ie *auth.InputsError
	if !errors.As(err, &ie) {
		return decisions, ""
	}
	rule := fmt.Sprintf("the grant of %s does not let the caller set %s", ie.Grant, strings.Join(ie.Inputs, ", "))
	var b strings.Builder
	what := "these inputs"
	if len(ie.Inputs) == 1 {
		what = "this input"
	}
	fmt.Fprintf(&b, "role %s's grant of %s (policy %s) does not let the caller set %s:\n", ie.Role, ie.Grant, ie.Policy, what)
	for _, p := range ie.Problems {
		fmt.Fprintf(&b, "  - %s\n", p)
	}
	return auth.WithoutGrants(decisions, rule, true), b.String()
}

// loadKey reads, or makes, the state dir's report key: reports of this run
// are signed with it, and a report to resume is verified with it.
func (r *runner) loadKey() {
	if r.o.stateDir == "" {
		return
	}
	key, err := report.Key(r.o.stateDir, true)
	if err != nil {
		r.keyErr = err.Error()
		r.e.errorf("%v; reports of this run are written unsigned", err)
		return
	}
	r.key = key
}

// sign signs the report with the state dir's key, if there is one.
func (r *runner) sign(rep *report.Report) {
	if r.key == nil {
		return
	}
	if err := report.Sign(rep, r.key); err != nil {
		r.e.errorf("%v; the report is written unsigned", err)
	}
}
