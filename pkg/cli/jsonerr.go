package cli

import (
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/rs/zerolog"

	"github.com/arsenal-run/arsenal-run/internal/yamlx"
	"github.com/arsenal-run/arsenal-run/pkg/engine"
)

// A command whose --log-format json was parsed (env.logJSON) writes its
// problems on stderr as JSON lines too, from its usage errors on, so that
// a log shipper reading its stderr parses every line, not only those of
// its run. A usage error found before the flag was parsed (an unknown
// flag ahead of it) is text: the format is not known yet.

// errorLine writes one JSON line at error with msg and fields, without a
// run id: the run has none yet.
func (e *env) errorLine(msg string, fields ...field) {
	e.stderr.Write(appendJSONLine(nil, engine.Event{Time: time.Now()}, zerolog.ErrorLevel, msg, fields))
}

// notice writes a note of what a run waits for before it starts (a
// concurrency group another run holds): a line on stderr as errorf writes
// it, or with --log-format json a JSON line at info, for it is no error.
func (e *env) notice(msg string) {
	if e.logJSON {
		e.stderr.Write(appendJSONLine(nil, engine.Event{Time: time.Now()}, zerolog.InfoLevel, msg, nil))
		return
	}
	fmt.Fprintf(e.stderr, "%s: %s\n", program, msg)
}

// say writes text, a problem that ends a command ("…\nnothing ran\n"), as
// it is, or with --log-format json as one JSON line whose message is its
// lines joined with "; ".
func (e *env) say(text string) {
	if !e.logJSON {
		fmt.Fprint(e.stderr, text)
		return
	}
	e.errorLine(lines(text))
}

// problems writes err, then tail ("x.yaml has problems; nothing ran"), a
// line each; with --log-format json a JSON line for each of err's
// diagnostics, with file, line and column, then one for tail.
func (e *env) problems(err error, tail string) {
	e.problem(err)
	if !e.logJSON {
		fmt.Fprintln(e.stderr, tail)
		return
	}
	e.errorLine(lines(tail))
}

// problem writes err on stderr; with --log-format json a JSON line at
// error for each of its diagnostics, with file, line and column, or for
// all its lines in one.
func (e *env) problem(err error) {
	if !e.logJSON {
		fmt.Fprintln(e.stderr, err)
		return
	}
	var ds yamlx.Diagnostics
	if !errors.As(err, &ds) || len(ds) == 0 {
		e.errorLine(lines(err.Error()))
	}
	for _, d := range ds {
		fs := []field{str("file", d.File)}
		if d.Pos.Line > 0 {
			fs = append(fs, num("line", int64(d.Pos.Line)), num("column", int64(d.Pos.Col)))
		}
		e.errorLine(d.Msg, fs...)
	}
}

// problemLine writes text, problems already put in words
// ("x.yaml:3:5: unknown operation ..."), as it is; with --log-format json
// a JSON line at error for each of its lines, a file:line:column in front
// taken into the file, line and column fields.
func (e *env) problemLine(text string) { e.located(zerolog.ErrorLevel, text) }

// warningLine is problemLine for a warning, at warn.
func (e *env) warningLine(text string) { e.located(zerolog.WarnLevel, text) }

// locatedRE is a problem's file:line:column: in front of its message.
var locatedRE = regexp.MustCompile(`^(\S+?):(\d+):(\d+): (.*)$`)

func (e *env) located(level zerolog.Level, text string) {
	text = strings.TrimRight(text, "\n")
	if !e.logJSON {
		fmt.Fprintln(e.stderr, text)
		return
	}
	for _, l := range strings.Split(text, "\n") {
		var fs []field
		if m := locatedRE.FindStringSubmatch(l); m != nil {
			line, _ := strconv.Atoi(m[2])
			col, _ := strconv.Atoi(m[3])
			fs = []field{str("file", m[1]), num("line", int64(line)), num("column", int64(col))}
			l = m[4]
		}
		e.stderr.Write(appendJSONLine(nil, engine.Event{Time: time.Now()}, level, l, fs))
	}
}
