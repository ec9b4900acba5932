package cli

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/rs/zerolog"

	"github.com/arsenal-run/arsenal-run/internal/termtext"
	"github.com/arsenal-run/arsenal-run/pkg/engine"
	"github.com/arsenal-run/arsenal-run/pkg/runs"
	"github.com/arsenal-run/arsenal-run/pkg/scheduler"
	"github.com/arsenal-run/arsenal-run/pkg/steps"
)

// logTimeFormat is the time of a console log line of `schedule` and
// `serve`: the date and the zone too, as a daemon's log is read the next
// morning, or from another zone (`run`'s lines, read as they come, keep
// the time of day alone).
const logTimeFormat = "2006-01-02T15:04:05.000Z07:00"

// newScheduleLogger returns the logger of `schedule` and `serve`: zerolog JSON lines,
// or console lines for people (coloured on a terminal), written whole to w
// from every goroutine.
func newScheduleLogger(w io.Writer, asJSON, color bool, level zerolog.Level) zerolog.Logger {
	out := zerolog.SyncWriter(w)
	if asJSON {
		out = jsonControlWriter{out}
	} else {
		out = consoleWriter(out, color)
	}
	return zerolog.New(out).Level(level).With().Timestamp().Logger()
}

// consoleWriter writes zerolog's console lines for people. A message can
// carry what a run printed (a control.log message built from a response
// body, a file, a caller's input): its terminal escape sequences and
// control characters are removed, as `run` removes them, so that a value
// cannot retitle the terminal following the log or rewrite what it shows;
// its line breaks and tabs become spaces (termtext.Line), as in `run`'s
// lines, so that the message's later lines, which could read as log lines
// of their own ("12:00:00.000 INF run ended status=succeeded"), stay on
// its line. The fields need nothing: zerolog quotes a value with control
// characters.
func consoleWriter(out io.Writer, color bool) zerolog.ConsoleWriter {
	return zerolog.ConsoleWriter{Out: out, NoColor: !color, TimeFormat: logTimeFormat,
		FormatPrepare: func(evt map[string]any) error {
			if m, ok := evt[zerolog.MessageFieldName].(string); ok {
				evt[zerolog.MessageFieldName] = strings.TrimRight(termtext.Line(m), " ")
			}
			return nil
		}}
}

// jsonControlWriter passes JSON lines on with the C1 control characters
// and bidirectional overrides in their strings written as \u escapes, as
// run's JSON lines write them (appendEscapedControls): zerolog writes them
// as they are, and a line shown on a terminal would act on them or read
// reordered. Each write is whole lines of zerolog's, or a part of a run's
// line past 4 KiB that its masking writer cut between two characters,
// never through one: each write is read alone.
type jsonControlWriter struct{ w io.Writer }

func (j jsonControlWriter) Write(p []byte) (int, error) {
	if !bytes.ContainsFunc(p, func(r rune) bool { return r >= 0x80 && termtext.IsControl(r) }) {
		return j.w.Write(p)
	}
	if _, err := j.w.Write(appendEscapedControls(make([]byte, 0, len(p)+32), p)); err != nil {
		return 0, err
	}
	return len(p), nil
}

// runFollower follows the events of scheduled runs: each run's lines go
// to the log with its playbook, run_id and slot, and its steps' durations
// to the step histogram. Each run is followed by a goroutine of its own
// that ends with the run's event stream; wait waits for all of them.
type runFollower struct {
	log   zerolog.Logger
	steps *scheduler.StepMetrics
	wg    sync.WaitGroup
}

// watch is the launcher's Watch hook: it must not block. The channel it
// returns is closed once the run is done and its lines are written, so
// that the scheduler's "run ended" line comes after them.
func (f *runFollower) watch(job scheduler.Job, h *runs.Handle) <-chan struct{} {
	slot := job.Slot.Format(time.RFC3339)
	log := f.log.With().Str("component", scheduler.Component).Str("playbook", job.Playbook.Name).Str("run_id", h.ID()).Str("slot", slot).Logger()
	// A sub-playbook's lines carry its own run id, beside the
	// parent_run_id of the run above it, as run's lines do.
	subLog := func(id string) zerolog.Logger {
		return f.log.With().Str("component", scheduler.Component).Str("playbook", job.Playbook.Name).Str("run_id", id).Str("slot", slot).Logger()
	}
	sub := h.Events().Subscribe(0)
	followed := make(chan struct{})
	f.wg.Add(1)
	go func() {
		defer f.wg.Done()
		defer close(followed)
		if job.Logged != nil {
			// The scheduler's "run started" comes first.
			<-job.Logged
		}
		f.follow(log, subLog, sub)
		<-h.Done()
	}()
	return followed
}

// follow writes a run's events as log lines until its stream ends: those
// of the run to log, those of its sub-playbooks' runs to subLog(their id).
func (f *runFollower) follow(log zerolog.Logger, subLog func(id string) zerolog.Logger, sub *runs.Subscription) {
	defer sub.Cancel()
	defer func() {
		// A bug in rendering must not take the scheduler down; the run
		// goes on, unlogged.
		if p := recover(); p != nil {
			log.Error().Str("panic", fmt.Sprint(p)).Msg("internal error while logging the run's events; its further events are not logged")
		}
	}()
	for {
		ev, ok := sub.Next(context.Background())
		if !ok {
			return
		}
		f.steps.Event(ev)
		if ev.ParentRunID != "" && ev.RunID != "" {
			logEvent(subLog(ev.RunID), ev)
			continue
		}
		logEvent(log, ev)
	}
}

func (f *runFollower) wait() { f.wg.Wait() }

// logEvent writes one event of a run as a log line, with the levels and
// fields `run` uses off a terminal. The scheduler logs the start and the
// end of each run itself ("run started" with the fire delay, "run ended"
// with the status), so run_started is left out, and so is run_finished
// unless the run did not succeed: its line carries the error.
func logEvent(log zerolog.Logger, ev engine.Event) {
	switch ev.Kind {
	case engine.EventRunStarted:
		return
	case engine.EventRunFinished:
		if ev.Status == "succeeded" {
			return
		}
	}
	if log.GetLevel() > zerolog.DebugLevel && quiet(ev) {
		// A debug line below the level: nothing is built for it.
		return
	}
	level, msg, fields := logLine(ev)
	if level == zerolog.Disabled || level < log.GetLevel() {
		return
	}
	e := log.WithLevel(level)
	if ev.Step != "" {
		e = e.Str("step", ev.Step)
	}
	if ev.Op != "" {
		e = e.Str("op", ev.Op)
	}
	if ev.ParentRunID != "" {
		e = e.Str("parent_run_id", ev.ParentRunID)
	}
	if ev.ParentStep != "" {
		e = e.Str("parent_step", ev.ParentStep)
	}
	if ev.Kind == engine.EventLog && ev.Index != nil {
		// An item's line names the item as `run`'s does: by its label too.
		e = e.Int("index", *ev.Index)
		if ev.Label != "" {
			e = e.Str("label", ev.Label)
		}
	}
	for _, f := range fields {
		switch {
		case f.key == "duration":
			e = e.Int64("duration_ms", ev.DurationMS)
		case f.key == "delay":
			e = e.Int64("delay_ms", ev.DelayMS)
		case f.isN:
			e = e.Int64(f.key, f.num)
		default:
			e = e.Str(f.key, f.str)
		}
	}
	e.Msg(msg)
}

// scheduledConfirmHint is what a confirm: step of a scheduled run, denied
// because nobody is there to answer, tells to do.
const scheduledConfirmHint = "a scheduled run has nobody to ask: run the playbook by hand (arsenal-run run), or move the step to a playbook that is not scheduled"

// scheduledInputHint is what a required input of a scheduled run, which
// nobody gave, tells to do: the schedule: block takes no inputs, so the
// playbook must give it a value of its own (as schedule's check at start
// says).
func scheduledInputHint(in *steps.Input) string {
	hint := "scheduled runs are given no inputs: give it a default in the playbook"
	if in.Env != "" {
		hint += " or set $" + in.Env + " for the scheduler or in the playbook's env_file"
	}
	if in.FromFile != "" {
		hint += " or create " + in.FromFile
	}
	return hint
}

// logReloadProblems writes, under --log-format json, a line at error for
// each problem that refused a reload, its file:line:column taken into the
// file, line and column fields, as the problems that refuse the start are
// written: a log collector finds them by file and position rather than
// inside the one error of the "reload failed" line that follows. Console
// lines leave them to that line, which holds them all.
func logReloadProblems(log zerolog.Logger, asJSON bool, problems []string) {
	if !asJSON {
		return
	}
	for _, p := range problems {
		for _, l := range strings.Split(strings.TrimRight(p, "\n"), "\n") {
			logLocated(log.Error(), l)
		}
	}
}

// logLocated writes the problem l on ev, its file:line:column, if any,
// taken into the file, line and column fields and out of the message.
func logLocated(ev *zerolog.Event, l string) {
	if m := locatedRE.FindStringSubmatch(l); m != nil {
		line, _ := strconv.Atoi(m[2])
		col, _ := strconv.Atoi(m[3])
		ev, l = ev.Str("file", m[1]).Int("line", line).Int("column", col), m[4]
	}
	ev.Msg(l)
}
