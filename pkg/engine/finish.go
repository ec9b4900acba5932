package engine

import (
	"cmp"
	"context"
	"fmt"
	"strconv"

	"github.com/arsenal-run/arsenal-run/internal/redact"
	"github.com/arsenal-run/arsenal-run/pkg/report"
	"github.com/arsenal-run/arsenal-run/pkg/steps"
)

// finish computes the outputs and builds the report, masked for secrets and
// capped in size. The outputs as computed stay in r.outputs. Their
// evaluations, and those of the steps' parameter digests, stop when ctx
// is done: each may work for seconds, and a playbook may have many.
func (r *run) finish(ctx context.Context, status report.Status, runErr *report.Error) *report.Report {
	pb := r.p.pb
	r.digestCtx = ctx
	var env map[string]any // only outputs read it
	if len(pb.Outputs) > 0 {
		env = r.baseEnv(ctx, string(status))
	}
	outputs := make(map[string]any, len(pb.Outputs))
	r.outputs = make(map[string]any, len(pb.Outputs))
	var outErrs map[string]string
	for _, o := range pb.Outputs {
		if why := r.dryUnread(o.Value); why != "" {
			// What the output would be is not known: its step's
			// operation never ran, so a default or a null would pass
			// for a result.
			if outErrs == nil {
				outErrs = map[string]string{}
			}
			outErrs[o.Name] = why
			continue
		}
		v, err := value(r.file, o.Value, env)
		if err != nil {
			if outErrs == nil {
				outErrs = map[string]string{}
			}
			if ctx != nil && ctx.Err() != nil {
				err = fmt.Errorf("%s:%d:%d: output %s was not computed: %w", r.file, o.Pos.Line, o.Pos.Col, o.Name, context.Cause(ctx))
			}
			outErrs[o.Name] = r.red.String(err.Error())
			continue
		}
		r.outputs[o.Name] = v
		outputs[o.Name] = report.Cap(r.red.Value(v))
	}
	end := r.p.e.clock.Now()
	rep := &report.Report{
		ReportVersion: report.FormatVersion,
		RunID:         r.id,
		Playbook:      report.Playbook{Name: pb.Name, Path: pb.File, SHA256: pb.SHA256},
		Roles:         r.o.roles,
		Inputs:        r.maskedInputs(),
		Status:        status,
		DryRun:        r.o.dryRun,
		ResumedFrom:   resumedFrom(r.o.resume),
		StartedAt:     r.start,
		FinishedAt:    end,
		DurationMS:    end.Sub(r.start).Milliseconds(),
		Outputs:       outputs,
		OutputErrors:  outErrs,
		Error:         r.maskErr(runErr),
		Warnings:      r.o.warnings,
	}
	if r.o.parent == "" {
		rep.OutputBudget = r.budget.report()
	}
	if rep.Roles == nil {
		rep.Roles = []string{}
	}
	rep.Steps = make([]report.Step, len(r.p.nodes))
	// Only a run that did not succeed can be resumed, so only its steps
	// need their definitions fingerprinted.
	r.resumable = status != report.StatusSucceeded
	r.subMu.Lock()
	for i, n := range r.p.nodes {
		rep.Steps[i] = r.stepReport(n)
	}
	r.subMu.Unlock()
	if r.o.parent == "" {
		rep.AttemptBudget = r.budget.msgs.report() // after the steps: they spend it
	}
	ev := r.log.WithLevel(SubRunEndLevel(status, r.o.tolerated))
	// The playbook and the error too: at serve's default level this is
	// the one line of a failed run.
	ev = ev.Str("playbook", r.p.pb.Name).Str("status", string(status)).Int64("duration_ms", end.Sub(r.start).Milliseconds())
	if rep.Error != nil {
		ev = ev.Str("error_class", rep.Error.Class).Str("error", rep.Error.Message)
	}
	ev.Msg("run finished")
	fin := Event{Kind: EventRunFinished, Status: string(status), DurationMS: rep.DurationMS, Report: rep,
		Tolerated: status == report.StatusFailed && r.o.tolerated}
	if rep.Error != nil {
		fin.Err, fin.ErrClass = rep.Error.Message, rep.Error.Class
	}
	r.end()
	r.emit(fin)
	return rep
}

// dryUnread says, in a dry run, why an output that reads the state of a
// step the dry run did not execute (in full) is not computed; "" when it
// reads none.
func (r *run) dryUnread(v *steps.Value) string {
	if !r.o.dryRun {
		return ""
	}
	why := ""
	unread := func(n *node, form string) {
		if why != "" || n == nil || !r.rec(n.idx).dryRun {
			return
		}
		why = fmt.Sprintf(form, n.step.ID, dryWhat(r.rec(n.idx)))
	}
	valueReads(v, func(id string) { unread(r.p.node(id), "dry run: reads steps.%s, which the dry run %s") })
	if readsAllSteps(v) {
		// keys(steps): every step is read, the ones not executed too.
		for _, n := range r.p.nodes {
			unread(n, "dry run: reads all of steps, steps.%s among them, which the dry run %s")
		}
	}
	return why
}

func (r *run) stepReport(n *node) report.Step {
	rec := r.rec(n.idx)
	s := report.Step{
		ID: n.step.ID, Name: r.red.String(rec.name), Op: n.step.Op, Section: string(n.step.Section),
		Status: rec.status, Reason: r.red.String(rec.reason), DurationMS: rec.dur.Milliseconds(),
		Attempts: rec.tries, Error: r.maskErr(rec.err), Abandoned: rec.abandoned,
		Authorization: r.decision(n), Confirmation: rec.confirmed, Reused: rec.reused, Rescued: rec.rescued, RescueOf: rescueOf(n.step),
		Ignored: rec.status == report.StatusFailed && excused(n) && !rec.rescued,
	}
	if n.step.Section == steps.SectionNotify && rec.status != report.StatusSkipped {
		// Denied, cancelled before it ran, or failed: nobody has it.
		s.Notification = cmp.Or(rec.notification, &report.Notification{Sent: report.SentNone})
	}
	if rec.cached {
		s.Cached, s.CacheAgeMS = true, rec.cacheAge.Milliseconds()
	}
	if r.resumable {
		s.Definition = r.p.fingerprint(n)
		s.ParamsSHA256 = r.paramsRecord(n)
	}
	if rec.ran {
		t := rec.started
		s.StartedAt = &t
	}
	if rec.attempts.n > 1 {
		log, omitted, failed := rec.attempts.kept() // a new slice: masked in place
		r.maskAttempts(log)
		s.AttemptLog, s.AttemptsOmitted, s.AttemptsOmittedFailed = log, omitted, failed
	}
	s.Sub = r.subs[n.step.ID]
	if rec.items != nil {
		for i := range rec.items {
			if sub := r.subs[n.step.ID+"["+strconv.Itoa(i)+"]"]; sub != nil {
				if s.Subs == nil {
					s.Subs = make([]*report.SubRun, len(rec.items))
				}
				s.Subs[i] = sub
			}
		}
		s.Items = make([]report.Item, len(rec.items))
		for i, it := range rec.items {
			if i >= ReportItemsInFull {
				// Past the threshold an item keeps what counts and timing
				// need (and, when it did not succeed, a compact item and
				// output), so a huge fan-out makes a report of bounded
				// size per item.
				if it.Status == report.StatusSucceeded {
					it.Item, it.Output = nil, nil
				} else {
					var dropped int64
					it.Item = compact(r.red.Value(it.Item), 0, 0, &dropped)
					if it.Output != nil {
						it.Output = compact(r.red.Value(it.Output), 0, 0, &dropped)
					}
				}
				it.AttemptLog, it.AttemptsOmitted, it.AttemptsOmittedFailed = nil, 0, 0
				s.Cut = cutOf(s.Cut)
				s.Cut.Items++
			} else {
				it.Item = report.Cap(r.red.Value(it.Item))
				it.Output = report.Cap(r.red.Value(it.Output))
			}
			it.Reason = r.red.String(it.Reason)
			it.Error = r.maskErr(it.Error)
			r.maskAttempts(it.AttemptLog)
			s.Items[i] = it
		}
		s.ItemCounts = rec.counts
		if s.ItemCounts == nil { // a reused step
			s.ItemCounts = map[report.Status]int{}
			for i := range rec.items {
				s.ItemCounts[rec.items[i].Status]++
			}
		}
	} else if rec.output != nil {
		s.Output = report.Cap(r.red.Value(toPlain(rec.output)))
	}
	if rec.cutOutputs > 0 {
		s.Cut = cutOf(s.Cut)
		s.Cut.Outputs, s.Cut.Bytes = rec.cutOutputs, rec.cutBytes
	}
	return s
}

func cutOf(c *report.Cut) *report.Cut {
	if c == nil {
		return &report.Cut{}
	}
	return c
}

func toPlain(v any) any {
	if m, ok := v.(map[string]any); ok {
		return m
	}
	p, err := plainData(v, 0)
	if err != nil {
		return nil
	}
	return p
}

func (r *run) maskErr(e *report.Error) *report.Error {
	if e == nil {
		return nil
	}
	return &report.Error{Class: e.Class, Message: report.CapString(r.red.String(e.Message), report.MaxString)}
}

func (r *run) maskedInputs() map[string]any { return MaskInputs(r.p.pb, r.inputs, r.red) }

// MaskInputs returns the inputs of a run of pb as its report shows them:
// a secret input's value is redact.Mask, and any other is capped, with the
// secrets red knows masked inside it. The run service shows the inputs of
// runs the engine never ran (or has not finished) the same way.
func MaskInputs(pb *steps.Playbook, inputs map[string]any, red *redact.Redactor) map[string]any {
	out := make(map[string]any, len(inputs))
	for _, in := range pb.Inputs {
		v, ok := inputs[in.Name]
		switch {
		case !ok:
		case in.Secret:
			out[in.Name] = redact.Mask
		default:
			out[in.Name] = report.Cap(red.Value(v))
		}
	}
	return out
}

func resumedFrom(prev *report.Report) string {
	if prev == nil {
		return ""
	}
	return prev.RunID
}
