package cli

import (
	"fmt"
	"strings"
	"time"

	"github.com/rs/zerolog"

	"github.com/arsenal-run/arsenal-run/pkg/auth"
	"github.com/arsenal-run/arsenal-run/pkg/engine"
)

// notice writes a line of `run` that is no event of its run: a signal's
// notice, a record that could not be written, a denial. With the default
// log format it writes text as it is. With --log-format json it writes a
// JSON line instead, as the run's events are written, with level, msg,
// fields and the run's id once it has one, so that every line a JSON log
// holds parses (piped into jq or a log collector); a line below the log
// level is left out, as an event's is.
func (r *runner) notice(level zerolog.Level, text, msg string, fields ...field) {
	if r.o.logFormat != "json" {
		fmt.Fprint(r.e.stderr, text)
		return
	}
	if min, _ := r.logLevel(); level < min {
		return
	}
	ev := engine.Event{RunID: r.runID(), Time: time.Now()}
	// One write: the lines of the run's events, written meanwhile from
	// another goroutine, stay whole around it.
	r.e.stderr.Write(appendJSONLine(nil, ev, level, msg, fields))
}

// noticef is notice for a problem the text form prints as errorf does,
// "arsenal-run: ...", and the JSON form has as its message.
func (r *runner) noticef(level zerolog.Level, format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	r.notice(level, program+": "+msg+"\n", msg)
}

// runID is the id of the run once it was started, else "".
func (r *runner) runID() string {
	r.handleMu.Lock()
	defer r.handleMu.Unlock()
	if r.handle == nil {
		return ""
	}
	return r.handle.ID()
}

// lines joins text's lines with "; ", for a field of a JSON line.
func lines(text string) string {
	return strings.Join(strings.Split(strings.TrimRight(text, "\n"), "\n"), "; ")
}

// writeDenial tells that the preflight denied steps and nothing ran: a
// table of the denied steps and who may run them (hint, from whoCan) as
// text; with --log-format json one error line, the steps and roles in
// fields, each step's verdict being on its own "step finished" line.
func (r *runner) writeDenial(denied []auth.StepDecision, pal palette, width int, hint string) {
	head := fmt.Sprintf("authorization denied %s for role %s; nothing ran", plural(len(denied), "step", "steps"), strings.Join(r.o.roles, ", "))
	if r.o.logFormat != "json" {
		fmt.Fprintln(r.e.stderr, head+":")
		writeDecisions(r.e.stderr, pal, width, denied)
		fmt.Fprint(r.e.stderr, hint)
		return
	}
	var ids []string
	for _, d := range denied {
		if !d.Decision.Allowed {
			ids = append(ids, d.Step)
		}
	}
	fs := []field{str("steps", strings.Join(ids, ",")), str("roles", strings.Join(r.o.roles, ","))}
	if hint != "" {
		fs = append(fs, str("hint", lines(hint)))
	}
	r.notice(zerolog.ErrorLevel, "", head, fs...)
}
