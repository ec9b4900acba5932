package cli

import (
	"fmt"
	"strings"

	"github.com/rs/zerolog"

	"github.com/arsenal-run/arsenal-run/pkg/ops/proc"
)

// This file is what serve writes to its log outside a run: its loggers,
// the HTTP server's lines, and its last words about the processes it
// leaves running.

// setLog makes the loggers of standard error, in --log-format, and makes
// every later write to it whole, from any goroutine.
func (d *daemon) setLog(color bool) {
	out := &lockedWriter{w: d.e.stderr}
	d.e.stderr = out
	d.log = newScheduleLogger(out, d.o.logFormat == "json", color, min(d.level, zerolog.InfoLevel))
	d.runLog = consoleWriter(out, color)
	if d.o.logFormat == "json" {
		d.runLog = jsonControlWriter{out}
	}
}

func (d *daemon) infof(format string, args ...any) { d.log.Info().Msgf(format, args...) }
func (d *daemon) warnf(format string, args ...any) { d.log.Warn().Msgf(format, args...) }
func (d *daemon) warnRunf(runID, format string, args ...any) {
	d.log.Warn().Str("run_id", runID).Msgf(format, args...)
}
func (d *daemon) errorf(format string, args ...any) { d.log.Error().Msgf(format, args...) }

// logWriter turns each write, a line of a standard library logger (the
// HTTP server's), into one line of log at level.
type logWriter struct {
	log   zerolog.Logger
	level zerolog.Level
}

func (w logWriter) Write(p []byte) (int, error) {
	w.log.WithLevel(w.level).Msg(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

// leaveProcesses says, in log, which processes process.start started
// go on running once cmd (serve or schedule) exits, in a supervisor group
// or not: nothing restarts or reaps them any more, and the next serve or
// schedule does not know them (process.kill by pid still reaches them).
func leaveProcesses(log zerolog.Logger, sup *proc.Supervisor, cmd string) {
	var pids []string
	for _, c := range sup.Running() {
		if c.Group == "" {
			pids = append(pids, fmt.Sprintf("%d (no supervisor)", c.PID))
		} else {
			pids = append(pids, fmt.Sprintf("%d (supervisor %s)", c.PID, c.Group))
		}
	}
	if len(pids) > 0 {
		what := fmt.Sprintf("%d processes", len(pids))
		if len(pids) == 1 {
			what = "1 process"
		}
		log.Warn().Strs("pids", pids).Msg(what + " started by process.start keep running unsupervised: nothing restarts or reaps them now; stop a supervisor's with supervisor.stop before " + cmd + " stops, or any by pid")
	}
}
