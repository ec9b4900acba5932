package runs

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/arsenal-run/arsenal-run/pkg/auth"
	"github.com/arsenal-run/arsenal-run/pkg/engine"
	"github.com/arsenal-run/arsenal-run/pkg/steps"
)

// ErrNoQuestion is returned by Handle.Answer when the run has no pending
// confirm: question for the step: it was answered already, the step has
// not asked yet, or the run was not started to take answers (Request.Ask).
var ErrNoQuestion = errors.New("no confirm: question waits for an answer")

// Question is a confirm: question of a run waiting for an answer given
// through its Handle. RunID is the run that asks: the handle's run, or one
// of its sub-runs (playbook.run).
type Question struct {
	RunID   string    `json:"run_id"`
	Step    string    `json:"step"`
	Op      string    `json:"op"`
	Text    string    `json:"question"`
	AskedAt time.Time `json:"asked_at"`
}

// Answer is an answer to a pending confirm: question.
type Answer struct {
	// RunID names the run that asks; "" means the handle's own run.
	RunID string
	Step  string
	Yes   bool
	// By is who answers: the name recorded in the report, the event and
	// the audit log, and where from.
	By Caller
	// Audited says the answer was audited where it was received: another
	// replica of serve, which relayed it here through the shared store
	// (see AuditAnswer). The run does not audit it a second time.
	Audited bool
}

// asker is the engine.Confirmer of a run started with Request.Ask: each
// question waits, announced by the engine's confirm_asked event, until
// Handle.Answer answers it or the run ends. Every answer is audited before
// it is given to the run: an answer that cannot be recorded is refused.
type asker struct {
	s      *Service
	pb     *steps.Playbook
	runID  string
	mu     sync.Mutex
	asking map[askKey]*asked
}

type askKey struct{ run, step string }

type asked struct {
	q      Question
	answer chan given // buffered: the answer never waits for the run
	ended  bool       // the question stopped waiting; a.mu guards it
}

type given struct {
	yes bool
	by  string
}

var _ engine.RunConfirmer = (*asker)(nil)

func newAsker(s *Service, pb *steps.Playbook, runID string) *asker {
	return &asker{s: s, pb: pb, runID: runID, asking: map[askKey]*asked{}}
}

// Confirm implements engine.Confirmer, for a question of the run itself.
func (a *asker) Confirm(ctx context.Context, step, question string) (bool, error) {
	yes, _, err := a.ConfirmRun(ctx, engine.Question{RunID: a.runID, Step: step, Text: question})
	return yes, err
}

// ConfirmRun implements engine.RunConfirmer: it waits for the answer to q
// or for the run's end.
func (a *asker) ConfirmRun(ctx context.Context, q engine.Question) (bool, string, error) {
	key := askKey{q.RunID, q.Step}
	p := &asked{q: Question{RunID: q.RunID, Step: q.Step, Op: q.Op, Text: q.Text, AskedAt: time.Now().UTC()}, answer: make(chan given, 1)}
	a.mu.Lock()
	if _, dup := a.asking[key]; dup {
		a.mu.Unlock()
		return false, "", fmt.Errorf("step %s of run %s asks again while its question is open", q.Step, q.RunID)
	}
	a.asking[key] = p
	a.mu.Unlock()
	if q.Asked != nil {
		q.Asked() // open now: whoever sees confirm_asked can answer
	}
	defer func() {
		a.mu.Lock()
		p.ended = true
		if a.asking[key] == p {
			delete(a.asking, key)
		}
		a.mu.Unlock()
	}()
	select {
	case g := <-p.answer:
		return g.yes, g.by, nil
	case <-ctx.Done():
		return false, "", context.Cause(ctx)
	}
}

// pending lists the open questions, oldest first, and those asked in the
// same instant by run and step, so that a list polled twice keeps its
// order.
func (a *asker) pending() []Question {
	a.mu.Lock()
	defer a.mu.Unlock()
	out := make([]Question, 0, len(a.asking))
	for _, p := range a.asking {
		out = append(out, p.q)
	}
	slices.SortFunc(out, func(x, y Question) int {
		if c := x.AskedAt.Compare(y.AskedAt); c != 0 {
			return c
		}
		if c := strings.Compare(x.RunID, y.RunID); c != 0 {
			return c
		}
		return strings.Compare(x.Step, y.Step)
	})
	return out
}

// answer gives ans to its question, once: a second answer finds none.
func (a *asker) answer(ans Answer) error {
	if ans.RunID == "" {
		ans.RunID = a.runID
	}
	key := askKey{ans.RunID, ans.Step}
	a.mu.Lock()
	p, ok := a.asking[key]
	if ok {
		delete(a.asking, key)
	}
	a.mu.Unlock()
	if !ok {
		return a.noQuestion(ans)
	}
	if !ans.Audited {
		if err := a.s.AuditAnswer(p.q, a.pb.File, a.pb.SHA256, ans); err != nil {
			a.mu.Lock()
			if _, again := a.asking[key]; !again && !p.ended {
				a.asking[key] = p // still open: the person may answer again
			}
			a.mu.Unlock()
			return err
		}
	}
	p.answer <- given{yes: ans.Yes, by: ans.By.Name}
	return nil
}

// AuditAnswer writes the audit line of an answer to the question q of a
// run of the playbook file (with its digest): action confirm, with who
// answered and from where. A replica that receives an answer for a run
// another replica executes audits it with this, then relays it.
func (s *Service) AuditAnswer(q Question, playbookFile, sha256 string, ans Answer) error {
	audit := s.cfg.Audit
	if audit == nil {
		return nil
	}
	err := audit.Action(auth.AuditLine{RunID: q.RunID, Playbook: playbookFile, SHA256: sha256, Roles: ans.By.Roles,
		Step: q.Step, Op: q.Op, Who: ans.By.Name, From: ans.By.From,
		Action: auth.ActionConfirm, Outcome: "answered", Question: q.Text, Answer: yesNo(ans.Yes)})
	if err != nil {
		return fmt.Errorf("the answer could not be audited, so it was not given: %w", err)
	}
	return nil
}

// yesNo is an answer as the audit log writes it.
func yesNo(yes bool) string {
	if yes {
		return "yes"
	}
	return "no"
}

func (a *asker) noQuestion(ans Answer) error {
	open := a.pending()
	if len(open) == 0 {
		return fmt.Errorf("%w: step %s of run %s is not asking", ErrNoQuestion, ans.Step, ans.RunID)
	}
	var names []string
	for _, q := range open {
		names = append(names, q.Step+" (run "+q.RunID+")")
	}
	return fmt.Errorf("%w: step %s of run %s is not asking; waiting: %s", ErrNoQuestion, ans.Step, ans.RunID, strings.Join(names, ", "))
}

// Questions returns the run's confirm: questions waiting for an answer,
// oldest first; none unless the run was started with Request.Ask.
func (h *Handle) Questions() []Question {
	if h.asker == nil {
		return []Question{}
	}
	return h.asker.pending()
}

// Answer answers a pending confirm: question of the run or of one of its
// sub-runs. The answer is audited (action confirm, with who answered and
// from where) before the run gets it, goes into the confirm_answered
// event and the step's confirmation in the report. It returns an error
// wrapping ErrNoQuestion when no such question waits.
func (h *Handle) Answer(ans Answer) error {
	if h.asker == nil {
		return fmt.Errorf("%w: run %s was not started to take answers; its confirm: steps are denied or answered where it was started", ErrNoQuestion, h.id)
	}
	return h.asker.answer(ans)
}
