package runs

// The ends of a run: a preflight denial, a run that never started, and
// the records every run leaves (history, reports, pruning).

import (
	"context"
	"fmt"
	"time"

	"github.com/rs/zerolog"

	"github.com/arsenal-run/arsenal-run/internal/redact"
	"github.com/arsenal-run/arsenal-run/pkg/auth"
	"github.com/arsenal-run/arsenal-run/pkg/engine"
	"github.com/arsenal-run/arsenal-run/pkg/history"
	"github.com/arsenal-run/arsenal-run/pkg/ops"
	"github.com/arsenal-run/arsenal-run/pkg/report"
	"github.com/arsenal-run/arsenal-run/pkg/steps"
	"github.com/arsenal-run/arsenal-run/pkg/store"
)

// preflight ends a run whose preflight denied a step, before it takes a
// slot: its denied report is published, written, recorded and audited,
// and returned. It returns nil when the run may go on (no denial, or a dry
// run, which goes on so that its report marks every step). A run that
// resumes under a grant from a report arsenal-run cannot vouch for is
// refused outright, a dry run too: even a dry run executes read
// operations, and they would read where the report steers them.
func (s *Service) preflight(p *prepared, h *Handle) *report.Report {
	return s.deny(p, h, "")
}

// deny is preflight; when, if set, says in the report's error when the
// decisions were made ("under the policy reloaded while the run waited to
// start"), with the first denied step's rule.
func (s *Service) deny(p *prepared, h *Handle, when string) *report.Report {
	h.setRefusal(p.refusal)
	denied := auth.Denied(p.decisions)
	if len(denied) == 0 || (p.req.DryRun && !p.untrusted) {
		return nil
	}
	req, pb := p.req, p.plan.Playbook()
	roles := req.Caller.Roles
	rep := DeniedReport(pb, p.runID, roles, p.decisions, s.cfg.Registry)
	if when != "" {
		rep.Error.Message = fmt.Sprintf("authorization denied step %s (%s) %s: %s; nothing ran", denied[0].Step, denied[0].Op, when, denied[0].Decision.Rule)
	}
	rep.DryRun = req.DryRun
	rep.Inputs = engine.MaskInputs(pb, p.inputs, inputSecrets(pb, p.inputs))
	// What was found wrong with the run before it started holds for the
	// decisions too: they were made on the text loaded then.
	rep.Warnings = p.warnings
	h.setDenied(denied)
	if s.cfg.Audit != nil {
		if err := s.cfg.Audit.Denied(p.runID, pb, roles, req.Caller.Name, req.Caller.From, denied); err != nil {
			s.warnRun(p.runID, "%v", err)
		}
	}
	if !req.oneShot {
		publishReport(h.stream, rep)
		s.recordStart(context.Background(), p, h, rep.StartedAt)
	}
	s.finishRun(rep, p, h)
	s.logEnd(rep, req)
	return rep
}

// auditRefusedStart writes to the audit log that the run p was refused
// for authorization before any of its steps was called (see
// AuditRefusedStart), masking the values of its secret inputs in why.
func (s *Service) auditRefusedStart(p *prepared, why string) {
	pb := p.plan.Playbook()
	s.AuditRefusedStart(p.runID, pb.File, pb.SHA256, p.req.Caller, inputSecrets(pb, p.inputs).String(why))
}

// AuditRefusedStart writes to the audit log that run runID, of the
// playbook file with that sha256, was refused for authorization before
// any of its steps was called (action start): who started it, from
// where, and why, with outcome denied, as a step a preflight denied is
// audited. Nothing ran, so a line that cannot be written is only warned
// of.
func (s *Service) AuditRefusedStart(runID, playbookFile, sha256 string, by Caller, why string) {
	if s.cfg.Audit == nil {
		return
	}
	err := s.cfg.Audit.Action(auth.AuditLine{RunID: runID, Playbook: playbookFile, SHA256: sha256, Roles: by.Roles,
		Who: by.Name, From: by.From, Action: auth.ActionStart, Outcome: string(report.StatusDenied),
		Error: &report.Error{Class: string(ops.ClassAuthorization), Message: why}})
	if err != nil {
		s.warn("the refused start of run %s by %s could not be audited: %v", runID, by.Name, err)
	}
}

// logEnd writes the "run finished" line of a run that the engine did not
// run (a preflight denial, a run that never started) to the run log, as
// the engine writes it for the runs it ran: such a run did not succeed,
// so the line is at error (warn for one cancelled before it started),
// with the playbook, the error class and the error. A denied call is what an operator looks for in the journal.
func (s *Service) logEnd(rep *report.Report, req *Request) {
	out, level := req.Log, req.LogLevel
	if out == nil {
		out, level = s.cfg.Log, s.cfg.LogLevel
	}
	at := engine.RunEndLevel(rep.Status)
	if out == nil || level > at {
		return
	}
	c := zerolog.New(out).Level(level).With().Timestamp()
	for i := 0; i+1 < len(req.LogFields); i += 2 {
		c = c.Str(req.LogFields[i], req.LogFields[i+1])
	}
	log := c.Str("run_id", rep.RunID).Logger()
	ev := log.WithLevel(at).Str("playbook", rep.Playbook.Name).Str("status", string(rep.Status)).Int64("duration_ms", rep.FinishedAt.Sub(rep.StartedAt).Milliseconds())
	if rep.Error != nil {
		ev = ev.Str("error_class", rep.Error.Class).Str("error", rep.Error.Message)
	}
	ev.Msg("run finished")
}

// finishRun records the end of a run: an executed operation in history's
// next batch, any other run by finish.
func (s *Service) finishRun(rep *report.Report, p *prepared, h *Handle) {
	if p.req.oneShot {
		if s.rec != nil {
			s.rec.record(rep, p.req.Caller)
		}
		return
	}
	s.finish(rep, p, h)
}

// neverRan is the report of a queued run that was cancelled before it
// started; reason says why its steps did not run.
func (s *Service) neverRan(p *prepared, h *Handle, why, reason string) *report.Report {
	return s.neverRanAs(p, h, ops.ClassCancelled, why, reason)
}

// neverRanAs is the report of a run that did not start, for a reason of
// class: cancelled (status cancelled), or a fault (status failed).
func (s *Service) neverRanAs(p *prepared, h *Handle, class ops.Class, why, reason string) *report.Report {
	rep := s.notStarted(p, h, class, why, reason)
	publishReport(h.stream, rep)
	if !p.req.oneShot {
		s.recordStart(context.Background(), p, h, rep.StartedAt)
	}
	s.finishRun(rep, p, h)
	s.logEnd(rep, p.req)
	return rep
}

// notStarted is the report of a run that did not start, for a reason of
// class: cancelled (status cancelled), or a fault (status failed). It has
// the shape of a report the engine writes: the run's inputs, masked as the
// engine masks them, and every step of the playbook, each skipped with
// reason (the steps the engine skips because the run could not start say
// "not run: ..." too). Like the engine, it masks the values of secret
// inputs wherever they show, such as in a concurrency group's name. It
// starts when the run was asked for (h's queued time, the started_at the
// run had while it waited) and lasts until now: how long it waited.
func (s *Service) notStarted(p *prepared, h *Handle, class ops.Class, why, reason string) *report.Report {
	pb := p.plan.Playbook()
	red := inputSecrets(pb, p.inputs)
	now := time.Now()
	start := now
	if h != nil && !h.queued.IsZero() && h.queued.Before(now) {
		start = h.queued
	}
	rep := &report.Report{
		ReportVersion: report.FormatVersion, RunID: p.runID,
		Playbook: report.Playbook{Name: pb.Name, Path: pb.File, SHA256: pb.SHA256},
		Roles:    p.req.Caller.Roles, Inputs: engine.MaskInputs(pb, p.inputs, red), Status: report.StatusCancelled,
		DryRun: p.req.DryRun, ResumedFrom: resumedID(p.res),
		StartedAt: start, FinishedAt: now, DurationMS: now.Sub(start).Milliseconds(), Outputs: map[string]any{},
		Steps:    notRunSteps(pb, p.decisions, red.String(reason)),
		Error:    &report.Error{Class: string(class), Message: report.CapString(red.String(why), report.MaxString)},
		Warnings: p.warnings,
	}
	if rep.Roles == nil {
		rep.Roles = []string{}
	}
	if class != ops.ClassCancelled {
		rep.Status = report.StatusFailed
	}
	return rep
}

// notRunSteps records every step of pb, in every section, as skipped for
// reason, with its preflight decision, as the engine records a step that
// did not run.
func notRunSteps(pb *steps.Playbook, ds []auth.StepDecision, reason string) []report.Step {
	decided := preflightDecisions(ds)
	all := pb.AllSteps()
	out := make([]report.Step, len(all))
	for i, st := range all {
		out[i] = report.Step{ID: st.ID, Op: st.Op, Section: string(st.Section), Status: report.StatusSkipped, Reason: reason}
		if st.RescueOf != nil {
			out[i].RescueOf = st.RescueOf.ID
		}
		if d, ok := decided[st.ID]; ok {
			out[i].Authorization = &d
		}
	}
	return out
}

// inputSecrets returns a redactor of the values of pb's secret inputs: the
// secrets a run knows of before it starts, as the engine seeds its own.
func inputSecrets(pb *steps.Playbook, inputs map[string]any) *redact.Redactor {
	red := redact.New()
	for _, in := range pb.Inputs {
		if v, ok := inputs[in.Name]; ok && in.Secret {
			red.AddValue(v)
		}
	}
	return red
}

// startOf is the run's start as recordStart records it, started at at:
// also what a Claim of StartClaimed records, so that the claim's row and
// the start's are the same.
func (s *Service) startOf(p *prepared, h *Handle, at time.Time) history.Run {
	pb, c := p.plan.Playbook(), p.req.Caller
	run := history.Run{ID: p.runID, Playbook: pb.Name, Path: pb.AbsPath(), SHA256: pb.SHA256, Roles: c.Roles,
		Status: history.StatusRunning, StartedAt: at, ReportPath: p.statePath, ResumedFrom: resumedID(p.res),
		Trigger: history.Trigger(c.Trigger), StartedBy: c.Name, Inputs: h.live.maskedInputs(), DryRun: p.req.DryRun}
	if !c.Slot.IsZero() {
		slot := c.Slot
		run.Slot = &slot
	}
	return run
}

// recordStart records the run as running in the history, with what
// started it (the caller's trigger, "" being cli) and, for a scheduled
// run, its slot. Runs that end without running (denied, or cancelled
// while queued) are recorded too, so that their rows carry the trigger
// and slot as well; finish then records their end. The inputs go with it
// masked, as h's snapshot shows them, and whether it is a dry run: a
// store shared by several processes keeps them, for the others to show
// while the run goes on. at is the start its report says, one reading of
// the clock for both: a start row whose started_at the end changed would
// have the end rewrite its entries in the history's indexes.
func (s *Service) recordStart(ctx context.Context, p *prepared, h *Handle, at time.Time) {
	if s.store == nil {
		return
	}
	run := s.startOf(p, h, at)
	warn := func(format string, args ...any) { s.warnRun(p.runID, format, args...) }
	if q, ok := s.store.(store.StartQueuer); ok {
		p.start.queued(q.QueueStart(run), warn)
		return
	}
	if err := s.store.RecordStart(ctx, run); err != nil {
		warn("%s", historyErr(err))
	}
}

// finish signs the report, writes it to every sink, records the end in
// history and prunes. Problems writing a sink are kept on the handle (a
// front end fails a run whose report could not be written) and passed to
// Warn. Once finish has begun, an emergency write (Handle.WriteNow) waits
// for it instead of writing a report of its own.
func (s *Service) finish(rep *report.Report, p *prepared, h *Handle) {
	h.finishing.Lock() // held for good; see Handle.WriteNow
	h.setFinal(rep)
	defer close(h.finishedCh())
	errs := s.writeSinks(rep, p, s.sign(rep))
	for _, err := range errs {
		s.warnRun(rep.RunID, "%v", err)
	}
	p.start.wait() // written or taken over by now; says if it failed
	h.setSinkErrors(errs)
	s.prune(context.Background())
}

// sign signs rep with the state dir's key, when there is one, so that a
// resume of it, or of its run id, trusts its outputs: the report written at
// once on a second signal as much as the one written at the run's end.
// It returns rep encoded (report.SignEncoded), for writeSinks, or nil
// when there is no key or signing failed.
func (s *Service) sign(rep *report.Report) []byte {
	if s.key == nil {
		return nil
	}
	encoded, err := report.SignEncoded(rep, s.key)
	if err != nil {
		s.warnRun(rep.RunID, "%v; the report is written unsigned", err)
		return nil
	}
	return encoded
}

// prune drops old runs and their report files, as KeepRuns and KeepDays
// say.
func (s *Service) prune(ctx context.Context) {
	if s.store != nil && (s.cfg.KeepRuns > 0 || s.cfg.KeepDays > 0) {
		if _, err := s.store.Prune(ctx, s.cfg.KeepRuns, s.cfg.KeepDays); err != nil {
			s.warn("history: prune: %v", err)
		}
	}
}

func resumedID(res *resumed) string {
	if res == nil {
		return ""
	}
	return res.rep.RunID
}
