package runs

import (
	"slices"
	"sync"
	"time"

	"github.com/arsenal-run/arsenal-run/pkg/engine"
	"github.com/arsenal-run/arsenal-run/pkg/ops"
	"github.com/arsenal-run/arsenal-run/pkg/report"
	"github.com/arsenal-run/arsenal-run/pkg/steps"
)

// StatusRunning is the status of a live run's snapshot and of its steps
// that have started but not finished.
const StatusRunning report.Status = "running"

// liveRun follows a run's own events (not those of its sub-runs) to answer
// Snapshot while the run goes on: the steps so far, with their status,
// timing and error. Outputs are in the final report only. It is safe for
// concurrent use.
type liveRun struct {
	pb     *steps.Playbook // what the run runs, as it was read
	mu     sync.Mutex
	base   report.Report
	index  map[string]int // step id -> position in base.Steps
	starts map[string]time.Time
}

func newLiveRun(p *prepared) *liveRun {
	pb := p.plan.Playbook()
	// As its report will show them: a secret's text is masked inside the
	// other inputs too.
	inputs := engine.MaskInputs(pb, p.inputs, inputSecrets(pb, p.inputs))
	return &liveRun{
		pb: pb,
		base: report.Report{
			ReportVersion: report.FormatVersion, RunID: p.runID,
			Playbook: report.Playbook{Name: pb.Name, Path: pb.File, SHA256: pb.SHA256},
			Roles:    p.req.Caller.Roles, Inputs: inputs, DryRun: p.req.DryRun,
			// Room for the main steps: they are added one by one.
			Steps: make([]report.Step, 0, len(pb.Steps)), Outputs: map[string]any{},
			Warnings: p.warnings,
		},
		index:  map[string]int{},
		starts: map[string]time.Time{},
	}
}

// SnapshotKinds are the kinds of event that a run's snapshot is told
// from (see SnapshotOf): its other events change nothing in it.
var SnapshotKinds = []engine.EventKind{engine.EventRunStarted, engine.EventStepStarted, engine.EventItemFinished, engine.EventStepFinished}

// SnapshotOf returns the snapshot of a running run that another process
// executes, told from the events that process relayed (those of
// SnapshotKinds suffice) as its Handle.Snapshot tells it from the same
// events: base, the run's record (playbook, roles, masked inputs,
// dry_run, start), with status running, the steps so far and the
// duration until now. Only the steps, the start and the duration come
// from the events: what else the snapshot shows, base must hold.
// base's steps, if any, are those known before the events; the events of
// sub-runs are ignored. base is not changed.
func SnapshotOf(base report.Report, evs []engine.Event) *report.Report {
	l := &liveRun{base: base, index: make(map[string]int, len(base.Steps)), starts: map[string]time.Time{}}
	l.base.Steps = slices.Clone(base.Steps)
	for i, st := range l.base.Steps {
		l.index[st.ID] = i
	}
	for _, ev := range evs {
		l.apply(ev)
	}
	return l.snapshot(StatusRunning)
}

// maskedInputs returns the run's inputs as its report shows them; nil for
// a nil l. The map is shared: it is never changed.
func (l *liveRun) maskedInputs() map[string]any {
	if l == nil {
		return nil
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.base.Inputs
}

// apply records one event of the run (those of SnapshotKinds tell it
// something).
func (l *liveRun) apply(ev engine.Event) {
	if ev.RunID != l.base.RunID {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	switch ev.Kind {
	case engine.EventRunStarted:
		l.base.StartedAt = ev.Time
	case engine.EventStepStarted:
		t := ev.Time
		l.starts[ev.Step] = t
		st := l.step(ev)
		st.Status, st.StartedAt = StatusRunning, &t
	case engine.EventItemFinished:
		st := l.step(ev)
		it := report.Item{Index: derefIndex(ev.Index), Label: ev.Label, Item: ev.Item, Status: report.Status(ev.Status), DurationMS: ev.DurationMS, Attempts: ev.Attempts}
		if ev.Err != "" {
			// Why an item failed is known as it ends: a rollout followed
			// through the API must not wait for the report to learn it.
			it.Error = &report.Error{Class: ev.ErrClass, Message: ev.Err}
		}
		it.Cached, it.CacheAgeMS, it.Authorization = ev.Cached, ev.CacheAgeMS, ev.Authorization
		st.Items = append(st.Items, it)
	case engine.EventStepFinished:
		st := l.step(ev)
		st.Status, st.Attempts = report.Status(ev.Status), ev.Attempts
		if start, ok := l.starts[ev.Step]; ok {
			st.DurationMS = ev.Time.Sub(start).Milliseconds()
		}
		if ev.DurationMS > 0 {
			st.DurationMS = ev.DurationMS
		}
		switch {
		case ev.Err != "":
			st.Error = &report.Error{Class: ev.ErrClass, Message: ev.Err}
		case st.Status == report.StatusCancelled:
			// Every cancelled step has a class, as in the run's own
			// report: the report written on a second signal is built
			// from these events.
			st.Error = &report.Error{Class: string(ops.ClassCancelled), Message: ev.Reason}
		}
		st.Reason = ev.Reason
		// What a notify entry's message reached: the snapshot has no
		// output to read it from, and without it an email two of three
		// recipients got would read as one nobody got.
		st.Notification = ev.Notification
	}
}

// step returns the step of ev, adding it on its first event; l.mu is held.
func (l *liveRun) step(ev engine.Event) *report.Step {
	i, ok := l.index[ev.Step]
	if !ok {
		i = len(l.base.Steps)
		l.index[ev.Step] = i
		section := ev.Section
		if section == "" {
			section = "steps"
		}
		l.base.Steps = append(l.base.Steps, report.Step{ID: ev.Step, Op: ev.Op, Section: section})
	}
	return &l.base.Steps[i]
}

// snapshot returns a copy of what is known, with the given status.
func (l *liveRun) snapshot(status report.Status) *report.Report {
	l.mu.Lock()
	defer l.mu.Unlock()
	rep := l.base
	rep.Status = status
	rep.Steps = make([]report.Step, len(l.base.Steps))
	for i, st := range l.base.Steps {
		st.Items = append([]report.Item(nil), st.Items...)
		rep.Steps[i] = st
	}
	if !rep.StartedAt.IsZero() {
		rep.DurationMS = time.Since(rep.StartedAt).Milliseconds()
	}
	return &rep
}

func derefIndex(p *int) int {
	if p == nil {
		return 0
	}
	return *p
}
