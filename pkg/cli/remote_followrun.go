package cli

import (
	"fmt"
	"time"

	"github.com/rs/zerolog"

	"github.com/arsenal-run/arsenal-run/internal/termtext"
	"github.com/arsenal-run/arsenal-run/pkg/engine"
	"github.com/arsenal-run/arsenal-run/pkg/report"
)

// This file waits for, or follows, a run started on a server, and says
// what remote says on stderr in its --log-format: text, or JSON lines
// for a log shipper, as run's.

// addRemoteLogFlag adds --log-format to remote's flags; a usage error
// found once it was parsed as json is a JSON line.
func addRemoteLogFlag(e *env, fs *flagSet, o *remoteOptions) {
	fs.StringVar(&o.logFormat, "log-format", "console", "write stderr's lines in `FORMAT`: console or json (run --follow's events too)")
	jsonUsage(e, fs, &o.logFormat)
}

// notice writes a line about run runID that is none of its events: text
// as it is, or with --log-format json a JSON line at level with msg, the
// run's id and fields.
func (r *remote) notice(level zerolog.Level, runID, text, msg string, fields ...field) {
	if !r.e.logJSON {
		fmt.Fprint(r.e.stderr, text)
		return
	}
	r.e.stderr.Write(appendJSONLine(nil, engine.Event{RunID: runID, Time: time.Now()}, level, msg, fields))
}

// followRun waits for run runID, of status as the server accepted it,
// (--wait, --yes) or follows its events (--follow), asking its questions with q when set, then prints its
// report and returns its exit code.
func (r *remote) followRun(runID, status string, waiting *waitPlace, q questioner) int {
	r.notice(zerolog.InfoLevel, runID, fmt.Sprintf("run %s\n", termtext.Line(runID)), "run accepted by the server", str("status", status))
	if waiting != nil && waiting.Message != "" {
		r.notice(zerolog.InfoLevel, runID, fmt.Sprintf("queued: %s\n", termtext.Line(waiting.Message)), "queued: "+waiting.Message)
	}
	// The signal's notice and other lines go above the live view's block
	// while it is shown (see liveView.Write).
	stderr := &lockedWriter{w: r.e.stderr}
	r.e.stderr = stderr
	ctx, stop, hangUp, cause := r.signals(runID)
	defer stop()
	var obs observers
	var live *liveView
	if r.o.follow {
		switch raw := stderr.swap(nil); {
		case r.e.logJSON:
			stderr.swap(raw)
			obs = append(obs, &jsonFollow{v: newLogView(stderr, true, zerolog.InfoLevel, false), runID: runID})
		case r.e.canRedraw(raw):
			width, height := termSize(raw)
			live = newSizedLiveView(raw, r.e.paletteFor(raw), false, width, height)
			live.follows(runID)
			stderr.swap(live)
			obs = append(obs, live)
		default:
			stderr.swap(raw)
			obs = append(obs, &plainView{w: r.e.stderr, runID: runID})
		}
	}
	var asker *remoteAsker
	if q != nil {
		if tc, ok := q.(*terminalConfirmer); ok {
			tc.out, tc.view = r.e.stderr, live // the question is not drawn over
			tc.hangUp = hangUp
		}
		asker = newRemoteAsker(ctx, r, runID, q)
		obs = append(obs, asker)
	}
	rep, err := r.follow(ctx, runID, obs)
	if asker != nil {
		asker.close()
	}
	if live != nil {
		live.close()
	}
	if err != nil {
		return r.followFailed(runID, err)
	}
	report.WriteTextFit(r.e.stdout, rep, termWidth(r.e.stdout))
	if q == nil {
		r.unasked(rep)
	}
	return remoteExitCode(rep, cause())
}

// jsonFollow writes a followed run's events as run's --log-format json
// does, a line each as it comes.
type jsonFollow struct {
	v     *logView
	runID string
}

func (j *jsonFollow) Event(ev engine.Event) {
	if ev.Kind == KindDroppedEvent {
		// The stream's marker belongs to no run and has no time.
		ev.RunID, ev.Time = j.runID, time.Now()
	}
	j.v.Event(ev)
	j.v.w.Flush()
}
