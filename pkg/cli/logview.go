package cli

import (
	"bufio"
	"context"
	"io"
	"strconv"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/rs/zerolog"

	"github.com/arsenal-run/arsenal-run/internal/termtext"
	"github.com/arsenal-run/arsenal-run/pkg/engine"
	"github.com/arsenal-run/arsenal-run/pkg/report"
	"github.com/arsenal-run/arsenal-run/pkg/runs"
)

// logView renders a run's events as log lines: console lines for people,
// or JSON lines (--log-format json). It formats each event once, directly,
// into a buffer that is flushed whenever the stream has nothing more
// queued, so logging costs little even for thousands of steps. Every line
// carries the time, the run id, and for step lines the step and op.
type logView struct {
	w     *bufio.Writer
	json  bool
	level zerolog.Level
	color bool
	buf   []byte
	gate  *askGate // told when a question's confirm_asked is written, if set
}

func newLogView(w io.Writer, asJSON bool, level zerolog.Level, color bool) *logView {
	return &logView{w: bufio.NewWriterSize(w, 32<<10), json: asJSON, level: level, color: color}
}

// follow renders the stream of run runID until it ends, then flushes.
func (v *logView) follow(s *runs.Stream, runID string) {
	sub := s.Subscribe(0)
	defer sub.Cancel()
	ctx := context.Background()
	for {
		ev, ok := sub.TryNext()
		if !ok {
			v.w.Flush()
			if ev, ok = sub.Next(ctx); !ok {
				return
			}
		}
		if ev.Kind == runs.KindDropped {
			// The stream's marker of the lines this log fell behind by
			// belongs to no run and has no time: its line carries the
			// run's id and the time it is written, as every line does.
			ev.RunID, ev.Time = runID, time.Now()
		}
		v.Event(ev)
		if ev.Kind == engine.EventConfirmAsked && v.gate != nil {
			// The question waits for the lines before it.
			v.w.Flush()
			v.gate.shownAsk(ev.Step)
		}
	}
}

// field is one key=value of a line.
type field struct {
	key string
	str string
	num int64
	isN bool
	// jsonOnly leaves it out of a console line, whose message says it.
	jsonOnly bool
}

func str(k, v string) field       { return field{key: k, str: v} }
func num(k string, n int64) field { return field{key: k, num: n, isN: true} }

// Event implements engine.Observer.
func (v *logView) Event(ev engine.Event) {
	if v.level > zerolog.DebugLevel && quiet(ev) {
		return // a debug line, below the log level: not worth formatting
	}
	level, msg, fields := logLine(ev)
	if level < v.level || level == zerolog.Disabled {
		return
	}
	if v.json {
		v.jsonLine(ev, level, msg, fields)
	} else {
		v.consoleLine(ev, level, msg, fields)
	}
}

// addErr adds an event's error and its class, when it has one.
func addErr(fs []field, ev engine.Event) []field {
	if ev.Err == "" {
		return fs
	}
	if ev.ErrClass != "" {
		fs = append(fs, str("error_class", ev.ErrClass))
	}
	return append(fs, str("error", ev.Err))
}

// logLine turns an event into a level, a message and fields.
func logLine(ev engine.Event) (zerolog.Level, string, []field) {
	var fs []field
	add := func(f ...field) { fs = append(fs, f...) }
	switch ev.Kind {
	case engine.EventRunStarted:
		add(str("playbook", ev.Playbook))
		return zerolog.InfoLevel, "run started", fs
	case engine.EventStepStarted:
		if ev.Items > 0 {
			add(num("items", int64(ev.Items)))
		}
		return zerolog.DebugLevel, "step started", fs
	case engine.EventStepFinished:
		add(str("status", ev.Status))
		if ev.Ignored {
			add(str("ignored", "continue_on_error"))
		}
		if ev.Attempts > 0 {
			add(num("attempts", int64(ev.Attempts)))
		}
		add(str("duration", report.FormatMS(ev.DurationMS)))
		if ev.Reason != "" {
			add(str("reason", ev.Reason))
		}
		if ev.Cached {
			add(str("cached", "true"), str("cache_age", report.FormatMS(ev.CacheAgeMS)))
		}
		fs = addErr(fs, ev)
		switch ev.Status {
		case "succeeded":
			return zerolog.InfoLevel, "step finished", fs
		case "skipped":
			return zerolog.DebugLevel, "step not run", fs
		}
		// A notify entry that failed may have reached people all the
		// same: the line says who got it, as the summary does.
		if what := report.NotificationText(ev.Notification); what != "" {
			return engine.NotificationLevel(ev.Notification), "notification " + what, fs
		}
		return stepEndLevel(ev), "step finished", fs
	case engine.EventItemStarted:
		// One allocation at most: callers that check the level only
		// afterwards (the scheduler's) pay little for every item.
		fs = append(make([]field, 0, 2), num("index", int64(deref(ev.Index))))
		if ev.Label != "" {
			add(str("label", ev.Label))
		}
		return zerolog.DebugLevel, "item started", fs
	case engine.EventItemFinished:
		// What the step's line says of the step, the item's says of the
		// item: its tries, its time, whether the cache answered it.
		fs = append(make([]field, 0, 9), num("index", int64(deref(ev.Index))))
		if ev.Label != "" {
			add(str("label", ev.Label))
		}
		add(str("status", ev.Status))
		if ev.Attempts > 0 {
			add(num("attempts", int64(ev.Attempts)))
		}
		add(str("duration", report.FormatMS(ev.DurationMS)))
		if ev.Cached {
			add(str("cached", "true"), str("cache_age", report.FormatMS(ev.CacheAgeMS)))
		}
		if ev.Err != "" {
			return zerolog.WarnLevel, "item finished", addErr(fs, ev)
		}
		return zerolog.DebugLevel, "item finished", fs
	case engine.EventBatchStarted, engine.EventBatchFinished:
		return batchLine(ev)
	case engine.EventRetry:
		if ev.Index != nil { // an item's: which one, as its item lines say
			add(num("index", int64(*ev.Index)))
			if ev.Label != "" {
				add(str("label", ev.Label))
			}
		}
		add(num("attempt", int64(ev.Attempt)), str("delay", report.FormatMS(ev.DelayMS)))
		if ev.Attempts > 0 { // the next try is attempt+1 of these
			add(num("attempts", int64(ev.Attempts)))
		}
		if ev.Err == "" && ev.Message != "" {
			add(str("condition", ev.Message))
		} else {
			fs = addErr(fs, ev)
		}
		return zerolog.InfoLevel, "retrying", fs
	case engine.EventRepeat:
		if ev.Index != nil {
			add(num("index", int64(*ev.Index)))
			if ev.Label != "" {
				add(str("label", ev.Label))
			}
		}
		add(num("attempt", int64(ev.Attempt)), str("delay", report.FormatMS(ev.DelayMS)), str("condition", ev.Message))
		return zerolog.InfoLevel, "repeating", fs
	case engine.EventLog:
		level := zerolog.InfoLevel
		if ev.Level != "" {
			if l, err := zerolog.ParseLevel(ev.Level); err == nil {
				level = l
			}
		}
		if ev.Stream != "" {
			add(str("stream", ev.Stream))
		}
		if ev.Err != "" {
			add(str("error", ev.Err))
		}
		return level, ev.Message, fs
	case engine.EventConfirmAsked:
		return zerolog.InfoLevel, "confirm: " + ev.Message, fs
	case engine.EventConfirmAnswered:
		if ev.Answer == "" {
			// The run was cancelled, or a timeout ran out, while the
			// question waited: nobody answered it.
			return zerolog.InfoLevel, "confirm unanswered", fs
		}
		add(str("answer", ev.Answer))
		if ev.By != "" {
			add(str("by", ev.By))
		}
		return zerolog.InfoLevel, "confirm answered", fs
	case engine.EventRunFinished:
		add(str("status", ev.Status), str("duration", report.FormatMS(ev.DurationMS)))
		// The class too, as on step lines and serve's line: it tells a
		// denial (exit 3) from a failure.
		fs = addErr(fs, ev)
		return engine.SubRunEndLevel(report.Status(ev.Status), ev.Tolerated), "run finished", fs
	case runs.KindDropped:
		add(num("dropped", int64(ev.Dropped)))
		return zerolog.WarnLevel, "log lines dropped: the log could not keep up", fs
	}
	return zerolog.Disabled, "", nil
}

// stepEndLevel is the level of the line of a step that ended neither
// succeeded nor skipped: a failure or denial as engine.FailureLevel has
// it (a failure a sub-playbook's caller tolerates as one it ignores), a
// step cancelled with its run at warn.
func stepEndLevel(ev engine.Event) zerolog.Level {
	switch st := report.Status(ev.Status); st {
	case report.StatusFailed, report.StatusDenied:
		return engine.FailureLevel(st, ev.Ignored || ev.Tolerated, ev.Rescuing)
	}
	return zerolog.WarnLevel
}

// batchLine is the line of a rolling batch's start or end, at info (warn
// for an end after which no batch starts): which batch, its items by
// label, and the step's items done and failed so far.
func batchLine(ev engine.Event) (zerolog.Level, string, []field) {
	b := ev.Batch
	if b == nil {
		return zerolog.Disabled, "", nil
	}
	// The message names the batch and its items; JSON has them as
	// fields too.
	fs := append(make([]field, 0, 10), num("batch", int64(b.Number)), num("batches", int64(b.Of)),
		num("first", int64(b.First)), num("last", int64(b.Last)))
	if b.FirstLabel != "" {
		fs = append(fs, str("first_label", b.FirstLabel))
	}
	if b.LastLabel != "" {
		fs = append(fs, str("last_label", b.LastLabel))
	}
	for i := range fs {
		fs[i].jsonOnly = true
	}
	fs = append(fs, num("done", int64(b.SoFar.Done())), num("items", int64(ev.Items)), num("failed", int64(b.SoFar.Failed)))
	if b.SoFar.Denied > 0 {
		fs = append(fs, num("denied", int64(b.SoFar.Denied)))
	}
	if ev.Kind == engine.EventBatchStarted {
		return zerolog.InfoLevel, b.Title() + " started: " + b.Span(), fs
	}
	fs = append(fs, str("duration", report.FormatMS(ev.DurationMS)))
	msg := b.Title() + " finished: " + b.Span()
	if ev.Err != "" {
		return zerolog.WarnLevel, msg, addErr(fs, ev)
	}
	return zerolog.InfoLevel, msg, fs
}

var levelTags = map[zerolog.Level]string{
	zerolog.DebugLevel: "DBG", zerolog.InfoLevel: "INF", zerolog.WarnLevel: "WRN", zerolog.ErrorLevel: "ERR",
}

func (v *logView) consoleLine(ev engine.Event, level zerolog.Level, msg string, fields []field) {
	b := v.buf[:0]
	b = ev.Time.Local().AppendFormat(b, "15:04:05.000")
	b = append(b, ' ')
	tag := levelTags[level]
	if tag == "" {
		tag = "???"
	}
	if v.color {
		switch level {
		case zerolog.WarnLevel:
			b = append(b, "\x1b[33m"...)
		case zerolog.ErrorLevel:
			b = append(b, "\x1b[31m"...)
		default:
			b = append(b, "\x1b[2m"...)
		}
		b = append(b, tag...)
		b = append(b, "\x1b[0m"...)
	} else {
		b = append(b, tag...)
	}
	b = append(b, ' ')
	if ev.Step != "" && ev.Kind == engine.EventLog {
		b = append(b, ev.Step...)
		if ev.Label != "" { // an item's, named as its item lines name it
			b = append(b, '[')
			b = appendConsoleLabel(b, ev.Label)
			b = append(b, ']')
		} else if ev.Index != nil {
			b = append(b, '[')
			b = strconv.AppendInt(b, int64(*ev.Index), 10)
			b = append(b, ']')
		}
		b = append(b, " | "...)
	}
	b = append(b, termtext.Line(msg)...)
	for _, f := range fields {
		if !f.jsonOnly {
			b = appendConsoleField(b, f.key, f)
		}
	}
	if ev.Kind != engine.EventLog && ev.Step != "" {
		b = appendConsoleField(b, "step", str("", ev.Step))
	}
	if ev.Op != "" {
		b = appendConsoleField(b, "op", str("", ev.Op))
	}
	b = appendConsoleField(b, "run_id", str("", ev.RunID))
	if ev.ParentStep != "" {
		b = appendConsoleField(b, "parent_step", str("", ev.ParentStep))
	}
	b = append(b, '\n')
	v.buf = b
	v.w.Write(b)
}

func appendConsoleField(b []byte, key string, f field) []byte {
	b = append(b, ' ')
	b = append(b, key...)
	b = append(b, '=')
	if f.isN {
		return strconv.AppendInt(b, f.num, 10)
	}
	if needsConsoleQuote(f.str) {
		// As zerolog's console lines and logfmt write it: a step's
		// text in a value ("… x status=succeeded") stays inside it.
		return strconv.AppendQuote(b, f.str)
	}
	return append(b, f.str...)
}

// appendConsoleLabel appends an item's label as a console line names its
// output, step[label]: quoted with Go escapes when it holds a bracket, a
// quote, a backslash or anything not printable, so that a label such as
// "web-1] | deployed" cannot end the name and write the line's text.
func appendConsoleLabel(b []byte, label string) []byte {
	for _, r := range label {
		if r == '[' || r == ']' || r == '"' || r == '\\' || !unicode.IsPrint(r) {
			return strconv.AppendQuote(b, label)
		}
	}
	if !utf8.ValidString(label) {
		return strconv.AppendQuote(b, label)
	}
	return append(b, label...)
}

// needsConsoleQuote reports whether a console field's value holds a space,
// an =, a quote, a backslash, or anything not printable (controls, bidi
// overrides, other spaces, invalid UTF-8), which strconv.Quote escapes.
func needsConsoleQuote(s string) bool {
	for _, r := range s {
		if r == ' ' || r == '=' || r == '"' || r == '\\' || !unicode.IsPrint(r) {
			return true
		}
	}
	return !utf8.ValidString(s)
}

func deref(p *int) int {
	if p == nil {
		return 0
	}
	return *p
}

// quiet reports whether an event's line is at debug level, cheaply, so that
// the many item and step-started events cost nothing at the default level.
func quiet(ev engine.Event) bool {
	switch ev.Kind {
	case engine.EventStepStarted:
		return true
	case engine.EventItemStarted:
		return true
	case engine.EventItemFinished:
		return ev.Err == ""
	case engine.EventStepFinished:
		return ev.Status == "skipped"
	case engine.EventLog:
		return ev.Level == "debug"
	}
	return false
}
