package engine

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"

	"github.com/rs/zerolog"

	"github.com/arsenal-run/arsenal-run/pkg/ops"
	"github.com/arsenal-run/arsenal-run/pkg/report"
	"github.com/arsenal-run/arsenal-run/pkg/steps"
)

// fan is the state of one fan-out while its items run. Each item writes
// only its own slot; the rest is guarded by mu.
type fan struct {
	items []report.Item
	outs  []any
	mu    sync.Mutex
	first int // the item that failed or was denied first, in time; -1 for none
	dry   bool
	// unsure is set when every item that made dry was executed and
	// skipped by dryUnsure: none is a call the dry run did not make.
	unsure bool
	notRun bool
	cut    int
	cutB   int64
	// halt is why max_fail_percentage stopped serial:'s rollout after a
	// batch (see runItems); nil when it did not.
	halt error
}

// fanout runs a foreach step: one call per item, at most concurrency at
// once (in serial:'s batches, see runItems), results in input order. With
// fail_fast the first failed item cancels those not yet finished.
func (r *run) fanout(ctx context.Context, n *node, env map[string]any, log zerolog.Logger, rec *record) {
	s := n.step
	list, err := r.items(s, env)
	if err != nil {
		rec.setErr(err)
		return
	}
	if d := r.o.preflightOf(r.o.prefix + s.ID); len(list) == 0 && r.o.dryRun && d != nil && !d.Allowed {
		// No item, no call: the authorizer is never asked. A real run
		// stops on the preflight's denial before anything runs, so the
		// dry run reports the step denied as that run would, rather
		// than a fan-out of nothing that succeeded.
		rec.decision = d
		rec.setErr(ops.Errorf(ops.ClassAuthorization, "%s", d.Rule))
		return
	}
	r.stepStarted(n, len(list))
	// A dry run's item that fails after a step the fan-out needs was not
	// executed is skipped with its failure kept, as such a plain step is
	// (dryUnsure): it saw the world without that step's change.
	unsure := ""
	if r.o.dryRun {
		unsure = r.dryNeed(n, map[*node]bool{})
	}
	f := &fan{items: make([]report.Item, len(list)), outs: make([]any, len(list)), first: -1}
	fctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	clock := r.p.e.clock
	labels := r.itemLabels(s, list)
	runItem := func(i int) {
		it := &f.items[i]
		it.Index, it.Item, it.Label = i, list[i], labels[i]
		if fctx.Err() != nil {
			// As a step never started: class cancelled, or timeout when
			// a timeout stopped the fan-out.
			cause := context.Cause(fctx)
			class := ops.ClassOf(cause)
			if class != ops.ClassTimeout {
				class = ops.ClassCancelled
			}
			it.Status, it.Reason = report.StatusCancelled, "not started: "+cause.Error()
			it.Error = &report.Error{Class: string(class), Message: cause.Error()}
			return
		}
		start := clock.Now()
		it.StartedAt = &start
		var preview any
		if it.Label == "" {
			preview = itemPreview(r.red.Value(list[i]))
		}
		r.emit(Event{Kind: EventItemStarted, Step: s.ID, Op: s.Op, Section: string(s.Section), Index: &i, Items: len(list), Label: it.Label, Item: preview})
		defer func() {
			if v := recover(); v != nil {
				it.Status, it.Error = report.StatusFailed, &report.Error{Class: string(ops.ClassSystem), Message: fmt.Sprintf("internal error in item %d: %v", i, v)}
			}
			it.DurationMS = clock.Now().Sub(start).Milliseconds()
			if it.Status == report.StatusFailed || it.Status == report.StatusDenied {
				f.mu.Lock()
				if f.first < 0 {
					f.first = i
				}
				f.mu.Unlock()
				if s.FailFast {
					what := "failed"
					if it.Status == report.StatusDenied {
						what = "was denied"
					}
					cancel(ops.Errorf(ops.ClassCancelled, "%s %s and fail_fast is on", itemName(i, it.Label), what))
				}
			}
			iev := Event{Kind: EventItemFinished, Step: s.ID, Op: s.Op, Section: string(s.Section), Index: &i, Items: len(list), Label: it.Label, Item: preview,
				Status: string(it.Status), Attempts: it.Attempts, DurationMS: it.DurationMS}
			if it.Error != nil {
				iev.Err, iev.ErrClass = r.red.String(it.Error.Message), it.Error.Class
			}
			iev.Cached, iev.CacheAgeMS, iev.Authorization = it.Cached, it.CacheAgeMS, it.Authorization
			r.emit(iev)
		}()
		ienv := withVars(env, steps.EnvItem, list[i], steps.EnvIndex, i)
		out, c, err := r.call(fctx, n, ienv, i, it.Label, log, rec.confirmed)
		it.Attempts = c.Tries()
		if c.Cached {
			it.Cached, it.CacheAgeMS = true, c.CacheAge.Milliseconds()
		}
		if i == 0 || c.Decision != nil && !c.Decision.Allowed {
			r.setDecision(rec, c.Decision)
		}
		if c.Decision != nil && !c.Decision.Allowed {
			// The item's own denial: its step's decision is the first
			// item's, or one denial among several.
			it.Authorization = c.Decision
		}
		if c.Tries() > 1 {
			it.AttemptLog, it.AttemptsOmitted, it.AttemptsOmittedFailed = c.attempts.kept()
		}
		if errors.Is(err, errDryRun) {
			it.Status, it.Reason = report.StatusSkipped, dryRunReason(c)
			f.mu.Lock()
			f.dry, f.notRun = true, true
			f.mu.Unlock()
			return
		}
		if r.o.dryRun && r.subDryPartial(fmt.Sprintf("%s[%d]", s.ID, i)) {
			f.mu.Lock()
			f.dry, f.notRun = true, true
			f.mu.Unlock()
		}
		if out != nil {
			kept, cut := r.budget.keep(out)
			it.Output, f.outs[i] = kept, kept
			if cut > 0 {
				f.mu.Lock()
				f.cut++
				f.cutB += cut
				f.mu.Unlock()
			}
		}
		var ir record
		ir.setErr(err)
		it.Status, it.Error = ir.status, ir.err
		if it.Status == report.StatusCancelled && it.Error != nil {
			it.Reason = "cancelled: " + it.Error.Message
		}
		if unsure != "" && it.Status == report.StatusFailed {
			it.Status, it.Reason = report.StatusSkipped, dryUnsureReason(it.Error, unsure)
			it.Error = nil
			f.mu.Lock()
			f.dry, f.unsure = true, true
			f.mu.Unlock()
		}
	}
	r.runItems(fctx, cancel, s, f, len(list), runItem, func(i int) string { return labels[i] }, log)
	f.settle(rec)
	if f.unsure && !f.notRun {
		rec.dryAfter = unsure
	}
}

// items computes the list a fan-out runs over: its foreach expression's
// value, or the combinations of its matrix.
func (r *run) items(s *steps.Step, env map[string]any) ([]any, error) {
	if m := s.Matrix; m != nil {
		return r.matrixItems(m, env)
	}
	v, err := eval(r.file, s.Foreach, env)
	if err != nil {
		return nil, err
	}
	list, ok := v.([]any)
	if !ok {
		return nil, ops.Errorf(ops.ClassValidation, "%s:%d:%d: foreach gave %s; it must give a list: %s", r.file, s.Foreach.Pos.Line, s.Foreach.Pos.Col, ops.TypeName(v), steps.ListAdvice("foreach", s.Foreach.Source, ops.TypeName(v)))
	}
	if len(list) > steps.MaxForeachItems {
		return nil, ops.Errorf(ops.ClassValidation, "%s:%d:%d: foreach gave %d items, over the limit of %d; split the list across steps, or run the work in batches", r.file, s.Foreach.Pos.Line, s.Foreach.Pos.Col, len(list), steps.MaxForeachItems)
	}
	return list, nil
}

// matrixItems evaluates a matrix's axes, include and exclude and expands
// it.
func (r *run) matrixItems(m *steps.Matrix, env map[string]any) ([]any, error) {
	list := func(v *steps.Value, what string) ([]any, error) {
		if v == nil {
			return nil, nil
		}
		x, err := value(r.file, v, env)
		if err != nil {
			return nil, err
		}
		l, ok := x.([]any)
		if !ok {
			src := ""
			if v.Kind == steps.KindExpr && v.Expr != nil {
				src = v.Expr.Source
			}
			return nil, ops.Errorf(ops.ClassValidation, "%s:%d:%d: %s gave %s; it must give a list: %s", r.file, v.Pos.Line, v.Pos.Col, what, ops.TypeName(x), steps.ListAdvice(what, src, ops.TypeName(x)))
		}
		return l, nil
	}
	names := make([]string, len(m.Axes))
	values := make([][]any, len(m.Axes))
	for i, a := range m.Axes {
		names[i] = a.Name
		l, err := list(a.Values, "matrix axis "+a.Name)
		if err != nil {
			return nil, err
		}
		if len(l) == 0 {
			// The matrix would have no combination; ExpandMatrix would
			// say so at the matrix, not at the axis that gave nothing.
			return nil, emptyAxis(r.file, a)
		}
		values[i] = l
	}
	include, err := list(m.Include, "matrix.include")
	if err != nil {
		return nil, err
	}
	exclude, err := list(m.Exclude, "matrix.exclude")
	if err != nil {
		return nil, err
	}
	items, err := steps.ExpandMatrix(names, values, include, exclude)
	if err != nil {
		return nil, ops.Errorf(ops.ClassValidation, "%s:%d:%d: %v", r.file, m.Pos.Line, m.Pos.Col, err)
	}
	return items, nil
}

// emptyAxis is the error of a computed matrix axis that gave no value,
// at the axis, with what to write instead: a guard on the list, or a
// foreach over it, which runs nothing for an empty list.
func emptyAxis(file string, a steps.MatrixAxis) error {
	list := "the list"
	if v := a.Values; v.Kind == steps.KindExpr && v.Expr != nil {
		list = v.Expr.Source
	}
	return ops.Errorf(ops.ClassValidation, "%s:%d:%d: matrix axis %s gave an empty list, and a matrix needs at least one value per axis; skip the step when there is none (when: len(%s) > 0), or, for one axis, fan out over the list itself (foreach: %s), which runs nothing for an empty list",
		file, a.Values.Pos.Line, a.Values.Pos.Col, a.Name, list, list)
}

// settle sums up the items into the step's outcome. The step's attempts
// are the most any item took. Its error is that of the item that was
// denied or failed first (in time, else by index): a denial before a
// failure before a cancellation. A denied item makes the step denied,
// whatever its siblings did: continue_on_error and rescue steps excuse
// failures, never refusals, so its dependents are skipped and the run
// fails for it. The siblings that fail_fast cancelled never hide the
// item that made it cancel them. The other items that failed or were
// denied are counted and named after it (see badErr).
func (f *fan) settle(rec *record) {
	items := f.items
	rec.items, rec.output = items, f.outs
	rec.cutOutputs, rec.cutBytes = f.cut, f.cutB
	rec.dryRun = f.dry
	rec.counts = map[report.Status]int{}
	lowest := map[report.Status]int{}
	for i := range items {
		st := items[i].Status
		if _, ok := lowest[st]; !ok {
			lowest[st] = i
		}
		rec.counts[st]++
		rec.tries = max(rec.tries, items[i].Attempts)
	}
	pick := func(st report.Status) int {
		if f.first >= 0 && items[f.first].Status == st {
			return f.first
		}
		return lowest[st]
	}
	itemErr := func(i int) *report.Error {
		it := &items[i]
		class, msg := string(ops.ClassCancelled), it.Reason
		if it.Error != nil {
			class = it.Error.Class
			if it.StartedAt != nil || msg == "" {
				msg = it.Error.Message
			}
		}
		if msg == "" {
			msg = string(it.Status)
		}
		return &report.Error{Class: class, Message: itemName(i, it.Label) + ": " + msg}
	}
	switch {
	case rec.counts[report.StatusDenied] > 0:
		i := pick(report.StatusDenied)
		rec.status, rec.err = report.StatusDenied, f.badErr(i, itemErr(i), rec.counts)
		rec.reason = rec.err.Message
	case rec.counts[report.StatusFailed] > 0:
		i := pick(report.StatusFailed)
		rec.status, rec.err = report.StatusFailed, f.badErr(i, itemErr(i), rec.counts)
	case rec.counts[report.StatusCancelled] > 0:
		rec.status, rec.err = report.StatusCancelled, itemErr(pick(report.StatusCancelled))
	case len(items) > 0 && rec.counts[report.StatusSkipped] == len(items) && f.dry:
		rec.status, rec.reason = report.StatusSkipped, items[0].Reason
	default:
		rec.status = report.StatusSucceeded
	}
	if n := rec.counts[report.StatusCancelled]; n > 0 && rec.status != report.StatusCancelled {
		rec.err.Message += fmt.Sprintf(" (%s cancelled)", plural(n, "other item", "other items"))
	}
}

// badErr is the error of a fan-out in which items failed or were denied,
// from err, that of item first, the one that led: with more than one such
// item, how many of the items they are comes first (or, when
// max_fail_percentage stopped the rollout, why it stopped), and the
// others are named after err, up to maxNamed of them. Naming the first
// alone sent a reader who fixed web-1 to rerun into web-7's failure, and
// told no one that 40 of 200 hosts had failed, not one.
func (f *fan) badErr(first int, err *report.Error, counts map[report.Status]int) *report.Error {
	failed, denied := counts[report.StatusFailed], counts[report.StatusDenied]
	switch {
	case f.halt != nil:
		err.Message = f.rollout(err.Message)
	case failed+denied > 1:
		what := "failed"
		switch {
		case failed == 0:
			what = "were denied"
		case denied > 0:
			what = fmt.Sprintf("failed or were denied (%d denied)", denied)
		}
		err.Message = fmt.Sprintf("%d of %d items %s: %s", failed+denied, len(f.items), what, err.Message)
	}
	err.Message += f.also(first)
	return err
}

// also names the items besides first that failed or were denied, up to
// maxNamed of them, the rest counted ("; also failed: item web-7 (#6),
// item web-12 (#11) and 3 more"), or is empty when there are none.
func (f *fan) also(first int) string {
	var names []string
	n, failed, denied := 0, false, false
	for i := range f.items {
		st := f.items[i].Status
		if i == first || st != report.StatusFailed && st != report.StatusDenied {
			continue
		}
		n++
		failed = failed || st == report.StatusFailed
		denied = denied || st == report.StatusDenied
		if len(names) < maxNamed {
			names = append(names, itemName(i, f.items[i].Label))
		}
	}
	if n == 0 {
		return ""
	}
	what := "also failed"
	switch {
	case denied && !failed:
		what = "also denied"
	case denied:
		what = "also failed or denied"
	}
	out := "; " + what + ": " + strings.Join(names, ", ")
	if n > len(names) {
		out += fmt.Sprintf(" and %d more", n-len(names))
	}
	return out
}

// maxNamed bounds the items besides the first that a fan-out's error
// names: with hundreds of hosts the rest is in the report.
const maxNamed = 5

func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}

// setDecision keeps the decision a fan-out reports for its step: the first
// item's, or a denial.
func (r *run) setDecision(rec *record, d *report.Decision) {
	if d == nil {
		return
	}
	r.decMu.Lock()
	if rec.decision == nil || !d.Allowed {
		rec.decision = d
	}
	r.decMu.Unlock()
}

// itemName names item i of a fan-out in a message: by its label (a host's
// name) when it has one, its index after it, as the report's tables and
// JUnit name it by the label: "item 12" beside hosts named web-N would send
// a reader to web-12 for the failure of web-13.
func itemName(i int, label string) string {
	if label == "" {
		return fmt.Sprintf("item %d", i)
	}
	return fmt.Sprintf("item %s (#%d)", label, i)
}
