package steps

// Warnings about a status or an error class compared with a text that it
// never is: steps.x.status == "success", run.status == "failure",
// error.class == "timeouts". The test is the same in every run, and is
// usually a when: that silently never runs. A run's status is warned
// about too where it cannot be the one tested: run.status == "failed" in
// a step of steps, where the run is still running.

import (
	"fmt"
	"strings"

	"github.com/expr-lang/expr/ast"

	"github.com/arsenal-run/arsenal-run/internal/suggest"
	"github.com/arsenal-run/arsenal-run/internal/yamlx"
	"github.com/arsenal-run/arsenal-run/pkg/report"
)

// runRunning is run.status while the steps run (and vars are computed).
const runRunning = "running"

// runStatuses are the values of run.status: running while the steps run,
// then how they ended.
var runStatuses = []string{
	runRunning, string(report.StatusSucceeded), string(report.StatusFailed), string(report.StatusCancelled),
}

// errorClasses are the values of error.class when there is an error.
var errorClasses = []string{
	report.ClassValidation, report.ClassAuthorization, report.ClassExecution, report.ClassTimeout,
	report.ClassCancelled, report.ClassDeclined, report.ClassSystem,
}

// checkStatusTest notes a status or error class compared with a text, by
// ==, != or in [...]: steps.<id>.status (and one item's,
// steps.<id>.items[i].status), run.status, and steps.<id>.error.class,
// steps.<id>.items[i].error.class or, in retry and repeat, error.class.
// != is noted only for a text that is no status: != a real one is how a
// test for "anything but" is written.
func (w *nameCheck) checkStatusTest(n *ast.BinaryNode) {
	var m ast.Node
	var lits []*ast.StringNode
	switch n.Operator {
	case "==", "!=":
		l, r := unchain(n.Left), unchain(n.Right)
		if s, ok := r.(*ast.StringNode); ok {
			m, lits = l, []*ast.StringNode{s}
		} else if s, ok := l.(*ast.StringNode); ok {
			m, lits = r, []*ast.StringNode{s}
		}
	case "in":
		arr, ok := n.Right.(*ast.ArrayNode)
		if !ok {
			return
		}
		m = unchain(n.Left)
		for _, x := range arr.Nodes {
			if s, ok := x.(*ast.StringNode); ok {
				lits = append(lits, s)
			}
		}
	}
	mem, ok := m.(*ast.MemberNode)
	if !ok || len(lits) == 0 {
		return
	}
	kind, name, item := w.statusOf(mem)
	if kind == "" {
		return
	}
	for _, lit := range lits {
		at := rootOf(mem).Location().From
		if n.Operator == "in" {
			at = lit.Location().From // one warning for each text of the list
		}
		if n.Operator == "!=" && (lit.Value == "" || yamlx.Contains(statusValues(kind), lit.Value)) {
			continue // only a text that is none is worth a word
		}
		w.refs = append(w.refs, ref{kind: kind, name: name, field: lit.Value, item: item, off: runeOffset(w.src, at)})
	}
}

// statusOf returns what m reads: "status" and the step's id for
// steps.<id>.status (item set for steps.<id>.items[i].status),
// "runstatus" for run.status, "class" and the expression as it is
// written for an error class; "" for anything else.
func (w *nameCheck) statusOf(m *ast.MemberNode) (kind, name string, item bool) {
	switch {
	case isString(m.Property, "status"):
		if id, _, ok := w.stepOf(m.Node); ok {
			return "status", id, false
		}
		if id, ok := w.stepItem(m.Node); ok {
			return "status", id, true
		}
		if x, ok := m.Node.(*ast.IdentifierNode); ok && x.Value == EnvRun && !w.lets[EnvRun] {
			return "runstatus", "", false
		}
	case isString(m.Property, "class"):
		e, ok := unchain(m.Node).(*ast.MemberNode)
		if !ok || !isString(e.Property, EnvError) {
			if x, ok := unchain(m.Node).(*ast.IdentifierNode); ok && x.Value == EnvError && !w.lets[EnvError] && w.scope&scopeRetry != 0 {
				return "class", "error.class", false
			}
			return "", "", false
		}
		if id, _, ok := w.stepOf(e.Node); ok {
			return "class", "steps." + id + ".error.class", false
		}
		if id, ok := w.stepItem(e.Node); ok {
			return "class", "steps." + id + ".items[i].error.class", false
		}
	}
	return "", "", false
}

// stepItem returns <id> when n is steps.<id>.items[i].
func (w *nameCheck) stepItem(n ast.Node) (string, bool) {
	at, ok := unchain(n).(*ast.MemberNode)
	if !ok || isStringNode(at.Property) {
		return "", false
	}
	list, ok := unchain(at.Node).(*ast.MemberNode)
	if !ok || !isString(list.Property, "items") {
		return "", false
	}
	id, _, ok := w.stepOf(list.Node)
	return id, ok
}

// rootOf is the name a chain of member reads starts from: steps in
// steps.x.status.
func rootOf(n ast.Node) ast.Node {
	for {
		switch x := n.(type) {
		case *ast.MemberNode:
			n = x.Node
		case *ast.ChainNode:
			n = x.Node
		default:
			return n
		}
	}
}

// statusValues are the texts a read of kind (see statusOf) can be.
func statusValues(kind string) []string {
	switch kind {
	case "runstatus":
		return runStatuses
	case "class":
		return errorClasses
	}
	return stepStatuses
}

// checkClassRef warns about an error class compared with a text that no
// error class is.
func (l *loader) checkClassRef(r ref, pos Pos) {
	if r.field == "" || yamlx.Contains(errorClasses, r.field) {
		return
	}
	l.d.Warn(pos, "%s is never %q: an error's class is one of %s (\"\" when there is no error)%s, so == is false and != true in every run; write one of those, like %s == \"timeout\"", r.name, r.field, strings.Join(errorClasses, ", "), suggest.DidYouMean(r.field, errorClasses), r.name)
}

// checkRunStatusRef warns about run.status compared with a text that no
// run status is, and about run.status == "<status>" where the run's status
// is never that one: running while the steps run and vars are computed,
// and how the steps ended in the sections after them and in outputs.
func (l *loader) checkRunStatusRef(pe *pendingExpr, r ref, pos Pos) {
	if !yamlx.Contains(runStatuses, r.field) {
		l.d.Warn(pos, "run.status is never %q: it is running while the steps run, and succeeded, failed or cancelled once they are done (in on_success, on_failure, on_cancel, finally, notify and outputs)%s, so == is false and != true in every run; write one of those, like run.status == \"failed\"", r.field, suggest.DidYouMean(r.field, runStatuses))
		return
	}
	seen, where := runStatusSeen(pe)
	if len(seen) == 0 || yamlx.Contains(seen, r.field) {
		return
	}
	if where == "in vars" {
		l.d.Warn(pos, "run.status is never %q in vars: vars are computed before any step runs, while it is running; read it in a step of on_failure or finally", r.field)
		return
	}
	if seen[0] == runRunning {
		handler := map[string]string{
			string(report.StatusSucceeded): "on_success", string(report.StatusFailed): "on_failure", string(report.StatusCancelled): "on_cancel",
		}[r.field]
		l.d.Warn(pos, "run.status is never %q %s: it is running until the steps are done; to act on how the run ends, move this to %s, or to finally with when: run.status == %q (to test an earlier step, read steps.<id>.status)", r.field, where, handler, r.field)
		return
	}
	if r.field == runRunning {
		l.d.Warn(pos, "run.status is never \"running\" %s: the steps are done by then, and it is succeeded, failed or cancelled", where)
		return
	}
	l.d.Warn(pos, "run.status is never %q %s: it is always %q there; to act on every outcome, move this to finally", r.field, where, seen[0])
}

// runStatusSeen returns the values run.status can have where pe is
// evaluated, and says where that is; nil when that is not known.
func runStatusSeen(pe *pendingExpr) ([]string, string) {
	done := runStatuses[1:]
	switch {
	case pe.scope&scopeOutputs != 0:
		return done, "in outputs"
	case pe.scope&scopeVars != 0:
		return runStatuses[:1], "in vars"
	case pe.step == nil:
		return nil, ""
	}
	s := pe.step
	for s.Section == SectionRescue && s.RescueOf != nil {
		s = s.RescueOf
	}
	where := fmt.Sprintf("in step %s", pe.step.ID)
	switch s.Section {
	case SectionSteps:
		return runStatuses[:1], where
	case SectionOnSuccess:
		return []string{string(report.StatusSucceeded)}, where + " of on_success"
	case SectionOnFailure:
		return []string{string(report.StatusFailed)}, where + " of on_failure"
	case SectionOnCancel:
		return []string{string(report.StatusCancelled)}, where + " of on_cancel"
	case SectionFinally, SectionNotify:
		return done, where
	}
	return nil, ""
}
