package runs

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/arsenal-run/arsenal-run/pkg/auth"
	"github.com/arsenal-run/arsenal-run/pkg/engine"
	"github.com/arsenal-run/arsenal-run/pkg/history"
	"github.com/arsenal-run/arsenal-run/pkg/ops"
	"github.com/arsenal-run/arsenal-run/pkg/report"
	"github.com/arsenal-run/arsenal-run/pkg/steps"
)

// nextAsked waits for the next confirm_asked event of sub.
func nextAsked(t *testing.T, sub *Subscription) Event {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for {
		ev, ok := sub.Next(ctx)
		if !ok {
			t.Fatal("the run ended, or 30s passed, before a confirm: question was asked")
		}
		if ev.Kind == engine.EventConfirmAsked {
			return ev
		}
	}
}

// auditLines reads the audit log's lines with the action.
func auditLines(t *testing.T, path, action string) []auth.AuditLine {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []auth.AuditLine
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var l auth.AuditLine
		if err := json.Unmarshal(sc.Bytes(), &l); err != nil {
			t.Fatalf("audit line %q: %v", sc.Text(), err)
		}
		if l.Action == action {
			out = append(out, l)
		}
	}
	return out
}

func openAudit(t *testing.T) (*auth.AuditLog, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "audit.log")
	a, err := auth.OpenAudit(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Close() })
	return a, path
}

// TestAskAnsweredThroughTheHandle: a run started with Ask waits at its
// confirm: step, announced by confirm_asked and listed by Questions; a
// wrong step is no answer; the answer goes to the run once, is audited
// with who answered and from where, and the report's step says who. The
// history records who started the run.
func TestAskAnsweredThroughTheHandle(t *testing.T) {
	audit, auditPath := openAudit(t)
	m := newManager(t, Config{StateDir: t.TempDir(), Audit: audit}, Limits{})
	path := writePlaybook(t, `version: 1
name: asks
inputs:
  token: {type: string, secret: true, default: hunter2}
steps:
  - {id: first, op: control.noop}
  - {id: go, op: control.log, confirm: "Restart with ${{ inputs.token }}?", with: {message: restarted}}
`)
	h, err := m.Start(context.Background(), Request{Path: path, Ask: true, Caller: Caller{Name: "oncall-key", Roles: []string{"operator"}, Trigger: TriggerAPI}})
	if err != nil {
		t.Fatal(err)
	}
	sub := h.Events().Subscribe(0)
	defer sub.Cancel()
	ev := nextAsked(t, sub)
	if ev.Step != "go" || ev.Message != "Restart with ***?" || ev.RunID != h.ID() {
		t.Errorf("confirm_asked: %+v", ev)
	}
	qs := h.Questions()
	if len(qs) != 1 || qs[0].Step != "go" || qs[0].Op != "control.log" || qs[0].RunID != h.ID() || qs[0].Text != "Restart with ***?" {
		t.Fatalf("Questions() = %+v", qs)
	}
	if err := h.Answer(Answer{Step: "first", Yes: true, By: Caller{Name: "alice"}}); !errors.Is(err, ErrNoQuestion) || !strings.Contains(err.Error(), "waiting: go") {
		t.Errorf("answering a step that does not ask: %v", err)
	}
	by := Caller{Name: "alice", From: "10.0.0.7", Roles: []string{"operator"}}
	if err := h.Answer(Answer{Step: "go", Yes: true, By: by}); err != nil {
		t.Fatal(err)
	}
	if err := h.Answer(Answer{Step: "go", Yes: false, By: Caller{Name: "mallory"}}); !errors.Is(err, ErrNoQuestion) {
		t.Errorf("a second answer: %v, want ErrNoQuestion", err)
	}
	rep := wait(t, h)
	st := stepNamed(t, rep, "go")
	if rep.Status != report.StatusSucceeded || st.Confirmation == nil || st.Confirmation.By != "alice" || st.Confirmation.Answer != "yes" {
		t.Errorf("run %s, step go's confirmation %+v", rep.Status, st.Confirmation)
	}
	lines := auditLines(t, auditPath, auth.ActionConfirm)
	if len(lines) != 1 {
		t.Fatalf("%d confirm lines in the audit log, want 1", len(lines))
	}
	l := lines[0]
	if l.Who != "alice" || l.From != "10.0.0.7" || l.Answer != "yes" || l.Outcome != "answered" || l.Step != "go" || l.Op != "control.log" || l.RunID != h.ID() || l.Question != "Restart with ***?" {
		t.Errorf("audit line: %+v", l)
	}
	run, err := m.Service().History().Get(context.Background(), h.ID())
	if err != nil || run.StartedBy != "oncall-key" {
		t.Errorf("history: started_by %q, %v", run.StartedBy, err)
	}
}

// TestAskDeclinedAndCancelled: a no declines the step; a run cancelled
// while it asks ends, its question goes, and an answer after that finds
// nothing. Without Ask the step is denied, and Answer says why.
func TestAskDeclinedAndCancelled(t *testing.T) {
	m := newManager(t, Config{}, Limits{})
	path := writePlaybook(t, `version: 1
name: asks
steps:
  - {id: go, op: control.noop, confirm: "Go?"}
`)
	h, err := m.Start(context.Background(), Request{Path: path, Ask: true})
	if err != nil {
		t.Fatal(err)
	}
	sub := h.Events().Subscribe(0)
	nextAsked(t, sub)
	sub.Cancel()
	if err := h.Answer(Answer{Step: "go", Yes: false, By: Caller{Name: "bob"}}); err != nil {
		t.Fatal(err)
	}
	rep := wait(t, h)
	if st := stepNamed(t, rep, "go"); st.Status != report.StatusCancelled || st.Error == nil || st.Error.Class != string(ops.ClassDeclined) || st.Confirmation.By != "bob" {
		t.Errorf("declined step: %+v", st)
	}

	h, err = m.Start(context.Background(), Request{Path: path, Ask: true})
	if err != nil {
		t.Fatal(err)
	}
	sub = h.Events().Subscribe(0)
	nextAsked(t, sub)
	sub.Cancel()
	h.Cancel(errors.New("changed my mind"))
	rep = wait(t, h)
	if st := stepNamed(t, rep, "go"); rep.Status != report.StatusCancelled || st.Confirmation != nil {
		t.Errorf("cancelled while asking: run %s, step %+v", rep.Status, st)
	}
	if qs := h.Questions(); len(qs) != 0 {
		t.Errorf("questions of an ended run: %+v", qs)
	}
	if err := h.Answer(Answer{Step: "go", Yes: true}); !errors.Is(err, ErrNoQuestion) {
		t.Errorf("answering an ended run: %v", err)
	}

	h, err = m.Start(context.Background(), Request{Path: path})
	if err != nil {
		t.Fatal(err)
	}
	rep = wait(t, h)
	if st := stepNamed(t, rep, "go"); st.Status != report.StatusDenied {
		t.Errorf("without Ask the step is %s, want denied", st.Status)
	}
	if err := h.Answer(Answer{Step: "go", Yes: true}); !errors.Is(err, ErrNoQuestion) || !strings.Contains(err.Error(), "not started to take answers") {
		t.Errorf("answering a run without Ask: %v", err)
	}
}

// TestAskInASubRun: a sub-run's question has the sub-run's id, and is
// answered by it.
func TestAskInASubRun(t *testing.T) {
	m := newManager(t, Config{}, Limits{})
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "child.yaml"), []byte(`version: 1
name: child
steps:
  - {id: go, op: control.noop, confirm: "Child go?"}
`), 0o644)
	parent := filepath.Join(dir, "parent.yaml")
	os.WriteFile(parent, []byte(`version: 1
name: parent
steps:
  - {id: go, op: playbook.run, with: {path: child.yaml}}
`), 0o644)
	h, err := m.Start(context.Background(), Request{Path: parent, Ask: true})
	if err != nil {
		t.Fatal(err)
	}
	sub := h.Events().Subscribe(0)
	defer sub.Cancel()
	ev := nextAsked(t, sub)
	if ev.RunID == h.ID() || ev.ParentRunID != h.ID() {
		t.Fatalf("the sub-run's question: %+v", ev)
	}
	if err := h.Answer(Answer{Step: "go", Yes: true}); !errors.Is(err, ErrNoQuestion) {
		t.Errorf("an answer for the parent's step go: %v, want ErrNoQuestion", err)
	}
	if err := h.Answer(Answer{RunID: ev.RunID, Step: "go", Yes: true, By: Caller{Name: "carol"}}); err != nil {
		t.Fatal(err)
	}
	rep := wait(t, h)
	st := stepNamed(t, rep, "go")
	if rep.Status != report.StatusSucceeded || st.Sub == nil || len(st.Sub.Steps) != 1 || st.Sub.Steps[0].Confirmation == nil || st.Sub.Steps[0].Confirmation.By != "carol" {
		t.Errorf("run %s, sub-run %+v", rep.Status, st.Sub)
	}
}

// TestCheck: the preflight of a request, without a run: a viewer is
// denied the write step with its rule, an operator is allowed; inputs that
// do not resolve are reported beside the decisions; nothing is recorded.
func TestCheck(t *testing.T) {
	state := t.TempDir()
	m := newManager(t, Config{StateDir: state}, Limits{})
	pb, err := steps.Load(writePlaybook(t, `version: 1
name: fix
inputs:
  count: {type: integer, required: true}
steps:
  - {id: look, op: control.noop}
  - {id: fix, op: shell.exec, with: {command: ["true"]}}
`), m.Service().Registry())
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	c, err := m.Service().Check(ctx, Request{Playbook: pb, Inputs: map[string]any{"count": 2}, Caller: Caller{Roles: []string{"viewer"}}})
	if err != nil {
		t.Fatal(err)
	}
	if c.Allowed() || len(c.Steps) != 2 || !c.Steps[0].Decision.Allowed || c.Steps[1].Decision.Allowed || c.Steps[1].Decision.Rule == "" || c.Inputs != nil {
		t.Errorf("viewer: %+v", c)
	}
	c, err = m.Service().Check(ctx, Request{Playbook: pb, Inputs: map[string]any{"count": "many"}, Caller: Caller{Roles: []string{"operator"}}})
	if err != nil {
		t.Fatal(err)
	}
	var ie *engine.InputError
	if !c.Allowed() || !errors.As(c.Inputs, &ie) || len(ie.Problems) != 1 || !strings.HasPrefix(ie.Problems[0], "count") {
		t.Errorf("operator with a bad input: allowed %v, inputs %v", c.Allowed(), c.Inputs)
	}
	if _, err := m.Service().Check(ctx, Request{Playbook: pb, Caller: Caller{Roles: []string{"nobody"}}}); err == nil {
		t.Error("an unknown role is no error")
	}
	runs, err := m.Service().History().List(ctx, history.Filter{})
	if err != nil || len(runs) != 0 {
		t.Errorf("Check recorded runs: %v, %v", runs, err)
	}
}

// TestPauseScheduleAudited: pausing and resuming a schedule is recorded
// in the history and audited with who did it; pausing twice changes and
// audits nothing; resuming a running schedule is ErrNotPaused.
func TestPauseScheduleAudited(t *testing.T) {
	audit, auditPath := openAudit(t)
	m := newManager(t, Config{StateDir: t.TempDir(), Audit: audit}, Limits{})
	pb := &steps.Playbook{Name: "nightly", File: "/etc/pb/nightly.yaml", SHA256: "abc"}
	by := Caller{Name: "alice", From: "10.0.0.7", Roles: []string{"admin"}}
	ctx := context.Background()
	p, changed, err := m.Service().PauseSchedule(ctx, pb, by)
	if err != nil || !changed || p.By != "alice" {
		t.Fatalf("PauseSchedule = %+v, %v, %v", p, changed, err)
	}
	if _, changed, err := m.Service().PauseSchedule(ctx, pb, Caller{Name: "bob"}); err != nil || changed {
		t.Errorf("pausing again: changed %v, %v", changed, err)
	}
	pauses, err := m.Service().SchedulePauses(ctx)
	if err != nil || pauses["nightly"].By != "alice" {
		t.Errorf("SchedulePauses = %v, %v", pauses, err)
	}
	// Another file of the same name neither resumes nor shows this pause.
	other := &steps.Playbook{Name: "nightly", File: "/srv/other/nightly.yaml"}
	if _, err := m.Service().ResumeSchedule(ctx, other, Caller{Name: "mallory"}); !errors.Is(err, ErrOtherPause) {
		t.Errorf("resuming through another file of the name: %v", err)
	}
	if _, _, err := m.Service().PauseSchedule(ctx, other, Caller{Name: "mallory"}); !errors.Is(err, ErrOtherPause) {
		t.Errorf("pausing another file of the name: %v", err)
	}
	if _, err := m.Service().ResumeSchedule(ctx, pb, Caller{Name: "bob", From: "10.0.0.8"}); err != nil {
		t.Fatal(err)
	}
	if _, err := m.Service().ResumeSchedule(ctx, pb, by); !errors.Is(err, history.ErrNotPaused) {
		t.Errorf("resuming a running schedule: %v", err)
	}
	paused, resumed := auditLines(t, auditPath, auth.ActionPause), auditLines(t, auditPath, auth.ActionResume)
	if len(paused) != 1 || paused[0].Who != "alice" || paused[0].From != "10.0.0.7" || paused[0].Playbook != pb.File || paused[0].Outcome != "paused" {
		t.Errorf("pause lines: %+v", paused)
	}
	if len(resumed) != 1 || resumed[0].Who != "bob" || resumed[0].Outcome != "resumed" {
		t.Errorf("resume lines: %+v", resumed)
	}
}

func stepNamed(t *testing.T, rep *report.Report, id string) report.Step {
	t.Helper()
	for _, s := range rep.Steps {
		if s.ID == id {
			return s
		}
	}
	t.Fatalf("no step %s in the report", id)
	return report.Step{}
}
