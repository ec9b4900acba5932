package queue

import (
	"context"
	"log/slog"
	"strings"
)

// outageHandler is the slog handler of River's own lines. River logs at
// error level every failed attempt of its notifier, elector, producer and
// maintenance services while the database restarts or fails over, several
// lines a second, each of which could page someone for what the queue
// rides out by itself: such a line, whose error says the database is
// away, is logged at debug level instead. The outage is logged once, and
// its end once, by the reaper (see outage). Any other error stays an
// error.
type outageHandler struct{ slog.Handler }

func (h outageHandler) Handle(ctx context.Context, r slog.Record) error {
	if r.Level >= slog.LevelError && outageRecord(r) {
		if !h.Handler.Enabled(ctx, slog.LevelDebug) {
			return nil
		}
		d := slog.NewRecord(r.Time, slog.LevelDebug, r.Message, r.PC)
		r.Attrs(func(a slog.Attr) bool { d.AddAttrs(a); return true })
		r = d
	}
	return h.Handler.Handle(ctx, r)
}

func (h outageHandler) WithAttrs(as []slog.Attr) slog.Handler {
	return outageHandler{h.Handler.WithAttrs(as)}
}

func (h outageHandler) WithGroup(name string) slog.Handler {
	return outageHandler{h.Handler.WithGroup(name)}
}

// outageRecord reports whether r carries an error (River logs its text as
// "err" or "error") that says the database could not be reached or cut
// the connection.
func outageRecord(r slog.Record) bool {
	found := false
	r.Attrs(func(a slog.Attr) bool {
		if a.Key == "err" || a.Key == "error" {
			found = outageText(a.Value.String())
		}
		return !found
	})
	return found
}

// outageMarks are the texts of pgx's and the network's errors for a
// database that is away: refusing connections, shutting down or starting
// up (SQLSTATE 57P01-03), or a connection exception (class 08).
var outageMarks = []string{
	"failed to connect to", "connection refused", "connection reset",
	"broken pipe", "unexpected EOF", "conn closed", "no route to host",
	"SQLSTATE 57P01", "SQLSTATE 57P02", "SQLSTATE 57P03", "SQLSTATE 08",
}

func outageText(s string) bool {
	for _, m := range outageMarks {
		if strings.Contains(s, m) {
			return true
		}
	}
	return false
}
