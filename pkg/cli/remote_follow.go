package cli

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/arsenal-run/arsenal-run/internal/short"
	"github.com/arsenal-run/arsenal-run/internal/termtext"
	"github.com/arsenal-run/arsenal-run/pkg/engine"
	"github.com/arsenal-run/arsenal-run/pkg/report"
)

// This file follows a run of a remote server: its event stream, rendered
// as run renders it (remote_signals.go cancels it).

// follow reads the run's event stream until run_finished, resuming after
// the last event seen when the connection breaks, and returns the report.
// When ctx ends with an *endedCause, it stops reading and returns the
// run's report as the server has it.
func (r *remote) follow(ctx context.Context, runID string, obs engine.Observer) (*report.Report, error) {
	sctx, scancel := context.WithCancel(context.Background())
	defer scancel()
	defer context.AfterFunc(ctx, func() {
		var ec *endedCause
		if errors.As(context.Cause(ctx), &ec) {
			scancel()
		}
	})()
	var last uint64
	var lastErr error
	// failures counts the connections in a row that did not work: one
	// that delivered events, or stayed open a while, worked, so that a
	// proxy that cuts long streams does not end the following of a run
	// that goes on.
	failures := 0
	watch := &streamWatch{obs: obs}
	for failures < streamFailures {
		if failures > 0 {
			t := time.NewTimer(time.Duration(failures) * reconnectBackoff)
			select {
			case <-t.C:
			case <-sctx.Done():
			}
			t.Stop()
		}
		if sctx.Err() != nil {
			return r.endedReport(runID)
		}
		rep, worked, err := r.stream(sctx, runID, &last, watch)
		if rep != nil {
			return rep, nil
		}
		if sctx.Err() != nil {
			return r.endedReport(runID)
		}
		var ae *apiError
		if errors.As(err, &ae) && ae.status < 500 && ae.status != http.StatusTooManyRequests {
			return nil, err
		}
		if worked {
			failures = 0
		}
		failures++
		lastErr = err
		if !worked && !watch.lost && failures < streamFailures {
			// The view would go on showing the last step running, its
			// time counting, as if the run were followed still.
			watch.lost = true
			r.e.errorf("lost the event stream of run %s (%s); reconnecting, up to %d times: until it is back, nothing shown here is the run's progress (the run may still be going on the server)",
				termtext.Line(runID), termtext.Line(streamErrText(err)), streamFailures-failures)
			watch.back = func() {
				r.e.errorf("the event stream of run %s is back; its events go on from where they stopped", termtext.Line(runID))
			}
		}
	}
	return nil, fmt.Errorf("the event stream of run %s broke off %d times in a row (last: %v); the run may still be going on the server: see 'arsenal-run remote runs' or GET %s/api/v1/runs/%s, and cancel it if need be with 'arsenal-run remote cancel %s'",
		runID, streamFailures, lastErr, r.base, runID, runID)
}

// streamWatch passes the events of the stream on to obs; the first one
// after the stream was said lost says it is back.
type streamWatch struct {
	obs  engine.Observer
	lost bool
	back func()
}

func (w *streamWatch) Event(ev engine.Event) {
	if w.lost {
		w.lost = false
		w.back()
	}
	if w.obs != nil {
		w.obs.Event(ev)
	}
}

// streamErrText is why a connection of the stream did not work, without
// the request that a transport error repeats.
func streamErrText(err error) string {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err.Error()
	}
	return err.Error()
}

// followFailed prints why following run runID stopped and returns the
// exit code. A key refused on a reconnection (it expired, or was taken
// out of the keys file or of a role while the run went on) stops the
// following, not the run: the error says so, and how to look at it, or
// the refusal reads as if the run had been denied.
func (r *remote) followFailed(runID string, err error) int {
	code := r.fail(err)
	var ae *apiError
	if errors.As(err, &ae) && (ae.status == http.StatusUnauthorized || ae.status == http.StatusForbidden) {
		r.e.errorf("run %s may still be going on the server: with a key the server accepts, see 'arsenal-run remote runs', and cancel it if need be with 'arsenal-run remote cancel %s'",
			termtext.Line(runID), termtext.Line(runID))
	}
	return code
}

// Reconnections of an event stream: at most streamFailures connections in
// a row that fail, reconnectBackoff times their number apart; a
// connection open for steadyStream worked. A stream that brings no byte
// for streamIdle is taken as broken: the server sends a keep-alive every
// 15 s, so a server that stopped, or a network that dropped the
// connection without a word, does not hold the command for ever.
var (
	streamFailures   = 10
	reconnectBackoff = 500 * time.Millisecond
	steadyStream     = time.Second
	streamIdle       = 45 * time.Second
)

// errStreamIdle breaks a stream that brought nothing for streamIdle.
type errStreamIdle struct{ d time.Duration }

func (e errStreamIdle) Error() string {
	return fmt.Sprintf("nothing came on the event stream for %s (the server sends a keep-alive every 15s)", short.Duration(e.d))
}

// endedReport is the report of a run the server said already ended.
func (r *remote) endedReport(runID string) (*report.Report, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var raw json.RawMessage
	if _, err := r.call(ctx, "GET", "/api/v1/runs/"+url.PathEscape(runID), nil, &raw); err != nil {
		return nil, fmt.Errorf("the run ended, but its report could not be read: %w", err)
	}
	rep, err := report.Decode(raw)
	if err != nil {
		return nil, fmt.Errorf("the run ended, but its report from GET /api/v1/runs/%s could not be read: %w", runID, err)
	}
	return rep, nil
}

// wireEvent is an event as the stream sends it, its report kept as JSON
// for report.Decode, which reads whole numbers back exactly, as the run
// held them (plain decoding would round those past 2^53).
type wireEvent struct {
	engine.Event
	Report json.RawMessage `json:"report,omitempty"` // hides Event's
}

// decodeEvent parses the data of one event of the stream.
func decodeEvent(data []byte) (engine.Event, error) {
	var w wireEvent
	if err := json.Unmarshal(data, &w); err != nil {
		return engine.Event{}, fmt.Errorf("an event is not JSON: %v", err)
	}
	ev := w.Event
	if len(w.Report) > 0 && string(w.Report) != "null" {
		rep, err := report.Decode(w.Report)
		if err != nil {
			return engine.Event{}, fmt.Errorf("the report of event %d (%s) cannot be read: %v", ev.Seq, ev.Kind, err)
		}
		ev.Report = rep
	}
	return ev, nil
}

// stream reads one connection of the event stream, until ctx ends; it
// returns the run's report once it ended, and whether the connection
// worked: it delivered events, or stayed open steadyStream without going
// idle.
func (r *remote) stream(ctx context.Context, runID string, last *uint64, obs engine.Observer) (*report.Report, bool, error) {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	req, err := http.NewRequestWithContext(ctx, "GET", r.base.String()+"/api/v1/runs/"+url.PathEscape(runID)+"/events", nil)
	if err != nil {
		return nil, false, err
	}
	req.Header.Set("Accept", "text/event-stream")
	if r.key != "" {
		req.Header.Set("Authorization", "Bearer "+r.key)
	}
	if *last > 0 {
		req.Header.Set("Last-Event-ID", strconv.FormatUint(*last, 10))
	}
	res, err := r.http.Do(req)
	if err != nil {
		return nil, false, err
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		data, _ := io.ReadAll(io.LimitReader(res.Body, 1<<20))
		return nil, false, r.answerError(res, data)
	}
	opened := time.Now()
	idle := errStreamIdle{streamIdle}
	body := &idleReader{r: res.Body, d: streamIdle, t: time.AfterFunc(streamIdle, func() { cancel(idle) })}
	defer body.t.Stop()
	events := 0
	worked := func() bool { return events > 0 || time.Since(opened) >= steadyStream }
	sc := bufio.NewScanner(body)
	sc.Buffer(make([]byte, 64<<10), 64<<20) // a run_finished carries the whole report
	var data []byte
	for sc.Scan() {
		line := sc.Bytes()
		switch {
		case len(line) == 0 && data != nil:
			ev, err := decodeEvent(data)
			if err != nil {
				return nil, worked(), err
			}
			data = nil
			events++
			if ev.Seq > 0 {
				*last = ev.Seq
			}
			if obs != nil {
				obs.Event(ev)
			}
			if ev.Kind == engine.EventRunFinished && ev.RunID == runID && ev.Report != nil {
				return ev.Report, true, nil
			}
		case bytes.HasPrefix(line, []byte("data: ")):
			data = append([]byte(nil), line[len("data: "):]...)
		}
	}
	if context.Cause(ctx) == error(idle) {
		return nil, events > 0, idle
	}
	if err := sc.Err(); err != nil {
		return nil, worked(), err
	}
	return nil, worked(), io.ErrUnexpectedEOF
}

// idleReader restarts t, which breaks the stream, whenever bytes come.
type idleReader struct {
	r io.Reader
	d time.Duration
	t *time.Timer
}

func (i *idleReader) Read(p []byte) (int, error) {
	n, err := i.r.Read(p)
	if n > 0 {
		i.t.Reset(i.d)
	}
	return n, err
}

// plainView prints a line per finished step of run runID, for a stream
// that is not a terminal. It knows the run from the start: a stream it
// joins late, or resumes after a gap, begins past the run's run_started,
// and a step's start may be in the gap too, so a step's time is the one
// its step_finished carries, as the report has it.
type plainView struct {
	w     io.Writer
	runID string
	shown map[string]bool // the steps whose line is printed (stepKey)
}

func (p *plainView) Event(ev engine.Event) {
	if ev.Kind == KindDroppedEvent {
		fmt.Fprintf(p.w, "(%d events were dropped)\n", ev.Dropped)
		return
	}
	if ev.RunID != p.runID || ev.Kind != engine.EventStepFinished {
		return // a sub-playbook's steps show in the report
	}
	if p.shown[stepKey(ev)] {
		return
	}
	if p.shown == nil {
		p.shown = map[string]bool{}
	}
	p.shown[stepKey(ev)] = true
	st := report.Status(ev.Status)
	// The step's id and error come from the server, and the error quotes
	// what the run read: a pipe or a CI log shows them on a terminal all
	// the same.
	// padVisible, not %-24s: a step id in Japanese or with emoji takes two
	// columns a character, and the status would be out of line.
	line := fmt.Sprintf("%s %s %-10s %s", report.Icon(st), padVisible(termtext.Line(ev.Step), 24), termtext.Line(string(st)), report.StepTime(st, ev.DurationMS, ev.Reused, !ev.NotStarted))
	if ev.Ignored {
		line += "  " + report.IgnoredNote
	}
	// A notify entry that failed may have reached people all the same:
	// its line says what its message reached, as the live view's does,
	// less what its error says already.
	if what := report.NotificationUnsaid(ev.Notification, ev.Err); what != "" {
		line += "  notification " + what
	}
	// A shell step's error ends "stderr ends with:" and the lines it
	// announces: on one line, as the summary's note has them, or the
	// line would end announcing nothing (the live view shows the step's
	// output under it instead).
	if ev.Err != "" {
		line += "  " + termtext.Line(report.OneLine(ev.Err, plainErrRoom))
	}
	fmt.Fprintln(p.w, line)
}

// plainErrRoom is the most characters of a step's error on its line.
const plainErrRoom = 400

// KindDroppedEvent is the kind of the stream's marker of dropped events.
const KindDroppedEvent engine.EventKind = "dropped"
