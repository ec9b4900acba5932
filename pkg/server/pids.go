package server

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/shirou/gopsutil/v4/process"
)

// The pids of the process endpoints: reading one from a path, the
// signal to send it, and the answers for a pid that names no process, or
// another process than the one meant.

// pidOf reads the {pid} of the path: a positive 32-bit number.
func pidOf(r *http.Request) (int, *apiError) {
	v := r.PathValue("pid")
	n, err := strconv.ParseInt(v, 10, 32)
	if err != nil || n < 1 {
		return 0, badField("pid", "pid %q: give a process id, a positive number", v)
	}
	return int(n), nil
}

// pidGone is the 404 of a pid that names no process, or nil when one
// has it: in the words of process.info and process.signal, with what was
// not done (done: "", or e.g. "nothing was signalled") and where to find
// a pid that is.
func pidGone(pid int, done string) *apiError {
	if ok, err := process.PidExists(int32(pid)); err != nil || ok {
		return nil
	}
	if done != "" {
		done = ", and " + done
	}
	e := notFound("no process with pid %d: it has exited, or the pid is wrong%s (GET /api/v1/processes lists what runs now)", pid, done)
	e.Field = "pid"
	return e
}

// signalOf reads ?signal=: a signal's name, in any case, with or without
// SIG (TERM, SIGTERM and term are one signal); TERM when not given.
// Numbers are refused: they differ between systems.
func signalOf(q url.Values) (string, *apiError) {
	v := q.Get("signal")
	if v == "" {
		return "TERM", nil
	}
	sig := strings.TrimPrefix(strings.ToUpper(v), "SIG")
	if slices.Contains(apiSignals, sig) {
		return sig, nil
	}
	names := strings.Join(apiSignals[:len(apiSignals)-1], ", ") + " or " + apiSignals[len(apiSignals)-1]
	if _, err := strconv.Atoi(v); err == nil {
		return "", badField("signal", "signal=%s: give the signal's name, not its number (numbers differ between systems): %s, with or without SIG, in any case", v, names)
	}
	return "", badField("signal", "signal=%q is not a signal this endpoint sends; give %s (TERM when left out), with or without SIG, in any case", v, names)
}

// pidTaken is the 409 message of a pid that now names another process than
// the one that started at started: the process meant has ended, and its
// pid went to another, which is not signalled. "" when pid is the process
// meant, or is gone.
func pidTaken(pid int, started time.Time) string {
	p, err := process.NewProcess(int32(pid))
	if err != nil {
		return ""
	}
	ms, err := p.CreateTime()
	if err != nil || ms == started.UnixMilli() {
		return ""
	}
	return fmt.Sprintf("pid %d is now another process, started %s, not the one started at %s: that process has ended and nothing was signalled (GET /api/v1/processes lists what runs now)",
		pid, apiTime(time.UnixMilli(ms)), apiTime(started))
}

// apiTime writes a process's start time as the process endpoints answer
// it: RFC 3339 in UTC with milliseconds.
func apiTime(t time.Time) string {
	return t.UTC().Truncate(time.Millisecond).Format("2006-01-02T15:04:05.000Z07:00")
}
