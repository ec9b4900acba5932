package cli

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"

	"github.com/arsenal-run/arsenal-run/internal/termtext"
	"github.com/arsenal-run/arsenal-run/pkg/engine"
	"github.com/arsenal-run/arsenal-run/pkg/report"
)

// This file answers the confirm: questions of a run followed on a server:
// asked on this command's terminal, as run asks them, or answered yes with
// --yes. The run is started with "ask": true, each confirm_asked event of
// its stream is a question, and the answer goes back with POST
// /api/v1/runs/{id}/confirm.

// questioner asks one confirm: question; terminalConfirmer is the one of a
// terminal.
type questioner interface {
	Confirm(ctx context.Context, step, question string) (bool, error)
}

// yesToAll answers every question yes: --yes.
type yesToAll struct{}

func (yesToAll) Confirm(context.Context, string, string) (bool, error) { return true, nil }

// questioner returns who answers the run's questions: yes to each with
// --yes, the person at the terminal when the run is followed on one, or
// nobody (nil): the run is then not started to ask, and the server denies
// its confirm: steps.
func (r *remote) questioner() questioner {
	switch {
	case r.o.yes:
		return yesToAll{}
	case r.o.follow && r.e.isTerminal(r.e.stdin) && r.e.isTerminal(r.e.stderr):
		return &terminalConfirmer{in: r.e.stdin, out: r.e.stderr}
	}
	return nil
}

// unasked says, after a run that nobody here could be asked for, whose
// confirm: steps the server denied, why --follow did not ask: the
// server's error tells to follow it on a terminal, which reads as wrong
// to someone who gave --follow with stdin or stderr redirected.
func (r *remote) unasked(rep *report.Report) {
	if !r.o.follow || !slices.ContainsFunc(rep.Steps, func(s report.Step) bool {
		return s.Status == report.StatusDenied && strings.HasPrefix(s.Reason, "needs confirmation")
	}) {
		return
	}
	which := "stdin, where the answer is read,"
	if r.e.isTerminal(r.e.stdin) {
		which = "stderr, where the question is asked,"
	}
	r.e.errorf("--follow asks confirm: questions only with stdin and stderr on a terminal, and %s is not one here: keep both on the terminal, or give --yes to confirm", which)
}

// remoteAsker watches a followed run's events and answers its questions,
// one goroutine each, so that the stream goes on being read while a
// person thinks. A question answered elsewhere (the console, another
// client) stops being asked here.
type remoteAsker struct {
	r     *remote
	runID string
	q     questioner
	ctx   context.Context

	stop    context.CancelFunc // ends ctx, and every question: close
	mu      sync.Mutex
	pending map[askKey]*remoteQuestion
	closed  bool
	wg      sync.WaitGroup
}

type askKey struct{ run, step string }

// remoteQuestion is a question being asked here; a.mu guards asking.
type remoteQuestion struct {
	cancel context.CancelCauseFunc
	asking bool // false once this command's answer is on its way
}

// errAnsweredElsewhere ends a question someone else answered.
var errAnsweredElsewhere = errors.New("answered elsewhere")

func newRemoteAsker(ctx context.Context, r *remote, runID string, q questioner) *remoteAsker {
	ctx, stop := context.WithCancel(ctx)
	return &remoteAsker{r: r, runID: runID, q: q, ctx: ctx, stop: stop, pending: map[askKey]*remoteQuestion{}}
}

// Event implements engine.Observer.
func (a *remoteAsker) Event(ev engine.Event) {
	k := askKey{ev.RunID, ev.Step}
	switch ev.Kind {
	case engine.EventConfirmAsked:
		a.mu.Lock()
		defer a.mu.Unlock()
		if _, ok := a.pending[k]; ok || a.closed {
			return // the same question, replayed after a reconnection
		}
		ctx, cancel := context.WithCancelCause(a.ctx)
		q := &remoteQuestion{cancel: cancel, asking: true}
		a.pending[k] = q
		a.wg.Add(1)
		go func() {
			defer a.wg.Done()
			a.ask(ctx, q, ev)
		}()
	case KindDroppedEvent:
		// The stream skipped events, a confirm_asked among them maybe:
		// the server lists the questions that wait.
		a.mu.Lock()
		defer a.mu.Unlock()
		if a.closed {
			return
		}
		a.wg.Add(1)
		go func() {
			defer a.wg.Done()
			a.resync()
		}()
	case engine.EventConfirmAnswered:
		a.mu.Lock()
		q, ok := a.pending[k]
		delete(a.pending, k)
		elsewhere := ok && q.asking
		a.mu.Unlock()
		if !elsewhere {
			return
		}
		q.cancel(errAnsweredElsewhere)
		if ev.By == "" {
			// Nobody answered: the run was cancelled, or ended.
			fmt.Fprintln(a.r.e.stderr)
			return
		}
		fmt.Fprintf(a.r.e.stderr, "\nstep %s: answered %s by %s\n", termtext.Line(ev.Step), termtext.Line(ev.Answer), termtext.Line(ev.By))
	}
}

// resync asks the questions the server says wait, which a gap in the
// stream may have hidden; those already asked here are not asked again.
func (a *remoteAsker) resync() {
	var waiting struct {
		Questions []struct {
			RunID string `json:"run_id"`
			Step  string `json:"step"`
			Op    string `json:"op"`
			Text  string `json:"question"`
		} `json:"questions"`
	}
	if _, err := a.r.call(a.ctx, "GET", "/api/v1/runs/"+url.PathEscape(a.runID)+"/questions", nil, &waiting); err != nil {
		return // the stream goes on; its next events still ask
	}
	for _, q := range waiting.Questions {
		a.Event(engine.Event{Kind: engine.EventConfirmAsked, RunID: cmp.Or(q.RunID, a.runID), Step: q.Step, Op: q.Op, Message: q.Text})
	}
}

// ask asks one question and sends its answer.
func (a *remoteAsker) ask(ctx context.Context, q *remoteQuestion, ev engine.Event) {
	defer q.cancel(nil)
	yes, err := a.q.Confirm(ctx, ev.Step, ev.Message)
	a.mu.Lock()
	if err == nil && ctx.Err() == nil {
		q.asking = false
	} else {
		err = cmp.Or(err, context.Cause(ctx))
	}
	a.mu.Unlock()
	if err != nil {
		// Answered by someone else (the answer shows in the stream), or
		// this command is stopping, or cancelling the run as its terminal
		// went away (which it says): nothing to send. Else the terminal
		// could not be read.
		if ctx.Err() == nil && !errors.Is(err, context.Canceled) {
			a.r.e.errorf("step %s: reading the answer: %v; the question still waits: answer it in the console, or cancel the run with 'arsenal-run remote cancel %s'", termtext.Line(ev.Step), err, a.runID)
		}
		return
	}
	answer := "no"
	if yes {
		answer = "yes"
	}
	if _, ok := a.q.(yesToAll); ok {
		fmt.Fprintf(a.r.e.stderr, "%s [step %s]: yes (--yes)\n", termtext.Clean(ev.Message), termtext.Line(ev.Step))
	}
	body := map[string]any{"step": ev.Step, "answer": answer}
	if ev.RunID != "" && ev.RunID != a.runID {
		body["run_id"] = ev.RunID
	}
	_, err = a.r.call(ctx, "POST", "/api/v1/runs/"+url.PathEscape(a.runID)+"/confirm", body, nil)
	var ae *apiError
	switch {
	case err == nil:
	case errors.As(err, &ae) && ae.status == http.StatusConflict:
		a.r.e.errorf("step %s: the question was no longer waiting (answered elsewhere, or the run ended); %s not sent", termtext.Line(ev.Step), answer)
	case context.Cause(ctx) != nil:
	default:
		a.r.e.errorf("step %s: sending the answer %s: %s; the question still waits: answer it in the console, or cancel the run with 'arsenal-run remote cancel %s'", termtext.Line(ev.Step), answer, termtext.Line(err.Error()), a.runID)
	}
}

// close stops asking: the run ended or this command stops. Every
// question still asked, and every answer on its way, is given up.
func (a *remoteAsker) close() {
	a.mu.Lock()
	a.closed = true
	a.mu.Unlock()
	a.stop()
	a.wg.Wait()
}

// observers passes each event to every observer in turn.
type observers []engine.Observer

func (o observers) Event(ev engine.Event) {
	for _, obs := range o {
		obs.Event(ev)
	}
}
