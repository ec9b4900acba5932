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
	"os"
	"os/signal"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/arsenal-run/arsenal-run/pkg/engine"
	"github.com/arsenal-run/arsenal-run/pkg/report"
)

// This file follows a run of a remote server: its event stream, rendered
// as run renders it, and SIGINT/SIGTERM cancelling the run on the server.

// signals cancels the followed run on SIGINT or SIGTERM; the stream goes
// on to show the run's end. When the server answers that the run already
// ended (409), the context's cause is an *endedCause instead: follow
// stops waiting for the stream and takes the run's report.
func (r *remote) signals(runID string) (context.Context, func()) {
	ctx, cancel := context.WithCancelCause(context.Background())
	stop := notifyCancel(func(sig *signalCause) {
		fmt.Fprintf(r.e.stderr, "\n%s: %s: cancelling run %s\n", program, sig.Error(), runID)
		cctx, ccancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer ccancel()
		if _, err := r.call(cctx, "POST", "/api/v1/runs/"+runID+"/cancel", nil, nil); err != nil {
			r.e.errorf("cancel: %v", err)
			var ae *apiError
			if errors.As(err, &ae) && ae.status == http.StatusConflict {
				cancel(&endedCause{err: err})
				return
			}
		}
		cancel(sig)
	})
	return ctx, func() {
		stop()
		cancel(nil)
	}
}

// endedCause ends the following of a run that the server said already
// ended when this command asked to cancel it: no signal of this command
// cancelled it, so its exit code is the run's own.
type endedCause struct{ err error }

func (c *endedCause) Error() string { return c.err.Error() }

// Unwrap makes the cause count as a cancellation.
func (c *endedCause) Unwrap() error { return context.Canceled }

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
		opened := time.Now()
		rep, events, err := r.stream(sctx, runID, &last, obs)
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
		if events > 0 || time.Since(opened) >= steadyStream {
			failures = 0
		}
		failures++
		lastErr = err
	}
	return nil, fmt.Errorf("the event stream of run %s broke off %d times in a row (last: %v); the run may still be going on the server: see 'arsenal-run remote runs' or GET %s/api/v1/runs/%s, and cancel it if need be with 'arsenal-run remote cancel %s'",
		runID, streamFailures, lastErr, r.base, runID, runID)
}

// Reconnections of an event stream: at most streamFailures connections in
// a row that fail, reconnectBackoff times their number apart; a
// connection open for steadyStream worked.
var (
	streamFailures   = 10
	reconnectBackoff = 500 * time.Millisecond
	steadyStream     = time.Second
)

// endedReport is the report of a run the server said already ended.
func (r *remote) endedReport(runID string) (*report.Report, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var rep report.Report
	if _, err := r.call(ctx, "GET", "/api/v1/runs/"+url.PathEscape(runID), nil, &rep); err != nil {
		return nil, fmt.Errorf("the run ended, but its report could not be read: %w", err)
	}
	return &rep, nil
}

// stream reads one connection of the event stream, until ctx ends; it
// returns the run's report once it ended, and how many events it read.
func (r *remote) stream(ctx context.Context, runID string, last *uint64, obs engine.Observer) (rep *report.Report, events int, err error) {
	req, err := http.NewRequestWithContext(ctx, "GET", r.base.String()+"/api/v1/runs/"+url.PathEscape(runID)+"/events", nil)
	if err != nil {
		return nil, events, err
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
		return nil, events, err
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		data, _ := io.ReadAll(io.LimitReader(res.Body, 1<<20))
		var eb struct {
			Error *apiError `json:"error"`
		}
		if json.Unmarshal(data, &eb) == nil && eb.Error != nil {
			eb.Error.status = res.StatusCode
			return nil, events, eb.Error
		}
		return nil, events, &apiError{status: res.StatusCode, Class: "internal", Msg: strings.TrimSpace(string(data))}
	}
	sc := bufio.NewScanner(res.Body)
	sc.Buffer(make([]byte, 64<<10), 64<<20) // a run_finished carries the whole report
	var data []byte
	for sc.Scan() {
		line := sc.Bytes()
		switch {
		case len(line) == 0 && data != nil:
			var ev engine.Event
			if err := json.Unmarshal(data, &ev); err != nil {
				return nil, events, fmt.Errorf("an event is not JSON: %v", err)
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
				return ev.Report, events, nil
			}
		case bytes.HasPrefix(line, []byte("data: ")):
			data = append([]byte(nil), line[len("data: "):]...)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, events, err
	}
	return nil, events, io.ErrUnexpectedEOF
}

// plainView prints a line per finished step, for a stream that is not a
// terminal.
type plainView struct {
	w       io.Writer
	runID   string
	started map[string]time.Time
}

func (p *plainView) Event(ev engine.Event) {
	if ev.Kind == engine.EventRunStarted && p.runID == "" {
		p.runID = ev.RunID
	}
	if ev.RunID != p.runID {
		return
	}
	switch ev.Kind {
	case engine.EventStepStarted:
		p.started[ev.Step] = ev.Time
	case engine.EventStepFinished:
		var took time.Duration
		if t, ok := p.started[ev.Step]; ok {
			took = ev.Time.Sub(t)
		}
		st := report.Status(ev.Status)
		line := fmt.Sprintf("%s %-24s %-10s %s", report.Icon(st), ev.Step, st, report.FormatMS(took.Milliseconds()))
		if ev.Ignored {
			line += "  " + report.IgnoredNote
		}
		if ev.Err != "" {
			line += "  " + firstLine(ev.Err)
		}
		fmt.Fprintln(p.w, line)
	case KindDroppedEvent:
		fmt.Fprintf(p.w, "(%d events were dropped)\n", ev.Dropped)
	}
}

// KindDroppedEvent is the kind of the stream's marker of dropped events.
const KindDroppedEvent engine.EventKind = "dropped"

// notifyCancel calls fn once, on the first of runSignals; the returned
// func stops listening.
func notifyCancel(fn func(*signalCause)) func() {
	ch := make(chan os.Signal, 1)
	signal.Notify(ch, runSignals()...)
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		select {
		case s := <-ch:
			fn(&signalCause{sig: s, code: signalCode(s)})
		case <-done:
		}
	}()
	return func() {
		signal.Stop(ch)
		close(done)
		wg.Wait()
	}
}
