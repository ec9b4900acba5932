package runs

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/arsenal-run/arsenal-run/pkg/engine"
	"github.com/arsenal-run/arsenal-run/pkg/ops"
	"github.com/arsenal-run/arsenal-run/pkg/report"
	"github.com/arsenal-run/arsenal-run/pkg/steps"
)

// progress follows a run's events, so that a report can still be written
// when the process must exit before the engine has built one (a repeated
// signal). It is safe for concurrent use, as engine.Observer requires.
type progress struct {
	mu      sync.Mutex
	pb      *steps.Playbook
	runID   string
	roles   []string
	inputs  map[string]any // masked
	dryRun  bool
	started time.Time
	steps   map[string]*stepProgress
	sub     subProgress
	// warnings are the run's own, told by its run_started event.
	warnings []string
}

type stepProgress struct {
	op       string
	started  time.Time
	finished time.Time
	status   report.Status
	reason   string
	err      *report.Error // of a step that did not succeed, as its step_finished told
	attempts int
	ignored  bool // continue_on_error let the run go on past its failure
	items    int
	done     int
	// running are the items started and not finished, by index: their
	// label (a host's name) or the preview of their value, named only if
	// the process must exit at once (runningItems).
	running map[int]any
	seq     int // of a sub-run's step: its place in the order steps started
	// Of a step still running, what its attempts count: tries is the
	// most a finished item made; waits the last retry or repeat of each
	// item running (-1 for a step without items); asking that its
	// confirm: question waits for an answer, no attempt made yet.
	tries  int
	waits  map[int]retryWait
	asking bool
}

// retryWait is a retry or repeat event: attempt n ended, and the next one
// starts at until.
type retryWait struct {
	n     int
	until time.Time
}

// newProgress starts following the run runID of pb. Secret inputs are
// masked at once, and so is any secret text inside the other inputs.
func newProgress(pb *steps.Playbook, runID string, roles []string, inputs map[string]any, dryRun bool) *progress {
	masked := engine.MaskInputs(pb, inputs, inputSecrets(pb, inputs))
	return &progress{pb: pb, runID: runID, roles: roles, inputs: masked, dryRun: dryRun, started: time.Now(), steps: map[string]*stepProgress{}}
}

// Event implements engine.Observer.
func (p *progress) Event(ev engine.Event) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if ev.RunID != p.runID {
		p.sub.subEvent(p.runID, ev) // a sub-playbook's run
		return
	}
	s := p.steps[ev.Step]
	if s == nil && ev.Step != "" {
		s = &stepProgress{}
		p.steps[ev.Step] = s
	}
	switch ev.Kind {
	case engine.EventRunStarted:
		p.warnings = ev.Warnings
	case engine.EventStepStarted:
		s.started, s.op = ev.Time, ev.Op
		if ev.Items > 0 {
			s.items = ev.Items
		}
	case engine.EventItemStarted:
		if ev.Index != nil {
			if s.running == nil {
				s.running = map[int]any{}
			}
			s.running[*ev.Index] = itemName(ev)
		}
	case engine.EventItemFinished:
		s.done++
		s.tries = max(s.tries, ev.Attempts)
		if ev.Index != nil {
			delete(s.running, *ev.Index)
			delete(s.waits, *ev.Index)
		}
	case engine.EventRetry, engine.EventRepeat:
		i := -1
		if ev.Index != nil {
			i = *ev.Index
		}
		if s.waits == nil {
			s.waits = map[int]retryWait{}
		}
		s.waits[i] = retryWait{n: ev.Attempt, until: ev.Time.Add(time.Duration(ev.DelayMS) * time.Millisecond)}
	case engine.EventConfirmAsked:
		s.asking = true
	case engine.EventConfirmAnswered:
		s.asking = false
	case engine.EventStepFinished:
		s.finished, s.status, s.reason = ev.Time, report.Status(ev.Status), ev.Reason
		s.attempts, s.ignored = ev.Attempts, ev.Ignored
		if ev.Err != "" || ev.ErrClass != "" {
			s.err = &report.Error{Class: ev.ErrClass, Message: ev.Err}
		}
	}
}

// report builds a cancelled run's report from the events seen so far:
// steps that finished keep their status, reason, error (class and
// message), attempts and whether their failure was ignored; steps still
// running or never started are cancelled, those running with the
// attempts they made, the one under way included. Outputs are not known, nor what
// a resume needs to reuse a step (its definition, parameters and
// output): a resume from this report runs every step again.
// FromProgress ends the error of a report written from a run's progress
// when the process exited before the run finished (Handle.WriteNow).
const FromProgress = "; the process exited before the run finished, so this report was written from its progress: outputs are missing, and a resume from it runs every step again"

func (p *progress) report(cause string) *report.Report {
	p.mu.Lock()
	defer p.mu.Unlock()
	now := time.Now()
	rep := &report.Report{
		ReportVersion: report.FormatVersion,
		RunID:         p.runID,
		Playbook:      report.Playbook{Name: p.pb.Name, Path: p.pb.File, SHA256: p.pb.SHA256},
		Roles:         p.roles,
		Inputs:        p.inputs,
		Status:        report.StatusCancelled,
		DryRun:        p.dryRun,
		StartedAt:     p.started,
		FinishedAt:    now,
		DurationMS:    now.Sub(p.started).Milliseconds(),
		Outputs:       map[string]any{},
		Error:         &report.Error{Class: string(ops.ClassCancelled), Message: cause + FromProgress},
		Warnings:      p.warnings,
	}
	if rep.Roles == nil {
		rep.Roles = []string{}
	}
	for _, st := range p.pb.AllSteps() {
		rs := report.Step{ID: st.ID, Op: st.Op, Section: string(st.Section), Status: report.StatusCancelled}
		s := p.steps[st.ID]
		switch {
		case s == nil:
			rs.Reason = "not started: the process exited"
		case s.status != "":
			rs.Status, rs.Reason, rs.Error = s.status, s.reason, s.err
			rs.Attempts, rs.Ignored = s.attempts, s.ignored && s.status == report.StatusFailed
			if !s.started.IsZero() {
				rs.DurationMS = s.finished.Sub(s.started).Milliseconds()
			}
		default:
			rs.DurationMS = now.Sub(s.started).Milliseconds()
			rs.Attempts = s.triesSoFar(st.FanOut(), now)
			msg := "the process exited while the step ran: what it started may still be running"
			if items := s.runningItems(nil); items != "" {
				msg += "; items still running: " + items
			}
			rs.Error = &report.Error{Class: string(ops.ClassCancelled), Message: msg}
			if s.items > 0 {
				rs.Reason = fmt.Sprintf("%d of %d items had finished", s.done, s.items)
			}
		}
		if s != nil && !s.started.IsZero() {
			t := s.started
			rs.StartedAt = &t
		}
		rep.Steps = append(rep.Steps, rs)
	}
	return rep
}

// triesSoFar counts the attempts of a step still running at now, the
// one under way included, as the engine's report would count them had
// it been cancelled then: of a fan-out, the most any item made.
func (s *stepProgress) triesSoFar(fanOut bool, now time.Time) int {
	if s.asking {
		return 0
	}
	n := s.tries
	of := func(i int) int {
		w, ok := s.waits[i]
		switch {
		case !ok:
			return 1
		case now.Before(w.until):
			return w.n // waiting to try again
		}
		return w.n + 1
	}
	if !fanOut {
		return max(n, of(-1))
	}
	for i := range s.running {
		n = max(n, of(i))
	}
	return n
}

// stillRunning names the steps running now, each with its operation and
// the items of it still running: what a process exiting at once leaves
// behind, for its last words. Of a playbook.run step it names the steps
// of the sub-playbook running (call/tidy), and the items of it whose
// sub-playbook runs none.
func (p *progress) stillRunning() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	var out []string
	for _, st := range p.pb.AllSteps() {
		s := p.steps[st.ID]
		if s == nil || s.status != "" || s.started.IsZero() {
			continue
		}
		inner, covered := p.sub.under(st.ID)
		items := s.runningItems(s.named(covered))
		if len(inner) == 0 || items != "" {
			line := fmt.Sprintf("%s (%s)", st.ID, st.Op)
			if items != "" {
				line += ": items " + items
			}
			out = append(out, line)
		}
		out = append(out, inner...)
	}
	return out
}

// maxNamedItems bounds the items runningItems names.
const maxNamedItems = 10

// named are the indexes of the items running whose names are in names,
// as a sub-run's parent_step names an item: its label (what running
// holds for an item that has one), else its index.
func (s *stepProgress) named(names map[string]bool) map[int]bool {
	if len(names) == 0 {
		return nil
	}
	out := map[int]bool{}
	for i, name := range s.running {
		if label, ok := name.(string); ok && names[label] || names[strconv.Itoa(i)] {
			out[i] = true
		}
	}
	return out
}

// runningItems lists the labels of the items still running, in order, at
// most maxNamedItems of them, leaving out those skip holds; "" when none.
// A label with ", " in it is put in parentheses.
func (s *stepProgress) runningItems(skip map[int]bool) string {
	idx := make([]int, 0, len(s.running))
	for i := range s.running {
		if !skip[i] {
			idx = append(idx, i)
		}
	}
	if len(idx) == 0 {
		return ""
	}
	slices.Sort(idx)
	var names []string
	for _, i := range idx[:min(len(idx), maxNamedItems)] {
		switch name := s.running[i]; {
		case name == nil, name == "":
			names = append(names, fmt.Sprintf("item %d", i))
		default:
			// A matrix item's label lists its values, "linux, 1.26": in
			// parentheses, as GitHub Actions writes it, the list of items
			// still reads as one name each.
			n := fmt.Sprint(name)
			if strings.Contains(n, ", ") {
				n = "(" + n + ")"
			}
			names = append(names, n)
		}
	}
	out := strings.Join(names, ", ")
	if len(idx) > maxNamedItems {
		out += fmt.Sprintf(" and %d more", len(idx)-maxNamedItems)
	}
	return out
}

// observers sends every event to each of obs that is not nil.
type observers []engine.Observer

func (o observers) Event(ev engine.Event) {
	for _, x := range o {
		if x != nil {
			x.Event(ev)
		}
	}
}
