package cli

import (
	"errors"
	"fmt"

	"github.com/rs/zerolog"

	"github.com/arsenal-run/arsenal-run/internal/yamlx"
)

// loadProblems tells that the playbook or the policy (what, "x.yaml" or
// "the policy x.yaml") has problems and nothing ran: the problems, then
// "WHAT has problems; nothing ran". With --log-format json each problem
// is a JSON line at error with its file, line and column, and so is the
// last line, so that a log collector reading the run's stderr parses
// every line of a run that never started.
func (r *runner) loadProblems(err error, what string) int {
	head := what + " has problems; nothing ran"
	if r.o.logFormat != "json" {
		fmt.Fprintln(r.e.stderr, err)
		fmt.Fprintln(r.e.stderr, head)
		return ExitUsage
	}
	var ds yamlx.Diagnostics
	if errors.As(err, &ds) && len(ds) > 0 {
		r.diagLines(ds, zerolog.ErrorLevel)
	} else {
		r.notice(zerolog.ErrorLevel, "", err.Error())
	}
	r.notice(zerolog.ErrorLevel, "", head)
	return ExitUsage
}

// loadWarnings writes what validation warns of in a playbook or policy:
// a line each, as text, or as JSON lines at warn with --log-format json.
func (r *runner) loadWarnings(ws yamlx.Diagnostics) {
	if r.o.logFormat != "json" {
		for _, w := range ws {
			fmt.Fprintln(r.e.stderr, w)
		}
		return
	}
	r.diagLines(ws, zerolog.WarnLevel)
}

// diagLines writes a JSON line at level for each diagnostic: its message,
// with file, line and column as fields.
func (r *runner) diagLines(ds yamlx.Diagnostics, level zerolog.Level) {
	for _, d := range ds {
		fs := []field{str("file", d.File)}
		if d.Pos.Line > 0 {
			fs = append(fs, num("line", int64(d.Pos.Line)), num("column", int64(d.Pos.Col)))
		}
		r.notice(level, "", d.Msg, fs...)
	}
}
