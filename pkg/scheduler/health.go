package scheduler

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/arsenal-run/arsenal-run/pkg/report"
)

// Health is what /healthz shows.
type Health struct {
	// Status is "ok"; "degraded" when the last reload failed (the old
	// set still runs) or the history cannot record slots; "stopping"
	// during shutdown.
	Status    string           `json:"status"`
	Now       time.Time        `json:"now"`
	Playbooks []PlaybookHealth `json:"playbooks"`
	Running   int              `json:"running"` // runs going now (starting or started), of every playbook
	// Waiting counts the runs launched but waiting for a place among the
	// concurrent runs (--max-concurrent-runs); they are not in Running.
	Waiting     int      `json:"waiting"`
	ReloadError *Problem `json:"reload_error,omitempty"`
	StoreError  *Problem `json:"store_error,omitempty"`
}

// PlaybookHealth is one loaded playbook in the health.
type PlaybookHealth struct {
	Name     string     `json:"name"`
	Path     string     `json:"path"`
	Cron     string     `json:"cron"`
	Timezone string     `json:"timezone"`
	Overlap  string     `json:"overlap"`
	NextSlot *time.Time `json:"next_slot,omitempty"` // in the playbook's time zone
	NextFire *time.Time `json:"next_fire,omitempty"` // the next slot plus its jitter, to the second
	Queued   *time.Time `json:"queued_slot,omitempty"`
	LastRun  *RunInfo   `json:"last_run,omitempty"`
	Running  []RunInfo  `json:"running"`
}

// RunInfo is one run of a playbook in the health. In Running, its Status
// is "starting" (Launch has not returned), "waiting" (for a place among
// the concurrent runs; no StartedAt yet) or "running" (StartedAt is its
// real start).
type RunInfo struct {
	ID         string        `json:"run_id,omitempty"` // "" while the run is starting, or when it could not start
	Slot       time.Time     `json:"slot"`
	Status     report.Status `json:"status"`
	StartedAt  *time.Time    `json:"started_at,omitempty"`
	FinishedAt *time.Time    `json:"finished_at,omitempty"`
	Error      string        `json:"error,omitempty"`
}

// Problem is a reload or store failure in the health.
type Problem struct {
	At      time.Time `json:"at"`
	Message string    `json:"message"`
}

// Health returns the scheduler's state now. Playbooks come sorted by name.
func (s *Scheduler) Health() Health {
	s.mu.Lock()
	defer s.mu.Unlock()
	// The clock, the fire times and the runs' times are shown to the
	// second, as people read them: a jitter is drawn to the nanosecond
	// and a run starts and ends when the clock says.
	h := Health{Status: "ok", Now: utcSecond(s.cfg.Clock.Now()), Playbooks: []PlaybookHealth{}, ReloadError: s.reloadErr.shown(), StoreError: s.storeErr.shown()}
	switch {
	case s.stopping:
		h.Status = "stopping"
	case s.reloadErr != nil || s.storeErr != nil:
		h.Status = "degraded"
	}
	loc := func(t time.Time, e *entry) *time.Time {
		if t.IsZero() {
			return nil
		}
		t = t.In(e.tt.Location()).Truncate(time.Second)
		return &t
	}
	for _, name := range s.names {
		e := s.entries[name]
		ph := PlaybookHealth{
			Name: name, Path: e.pb.AbsPath(), Cron: e.pb.Schedule.Cron, Timezone: e.tt.Location().String(),
			Overlap: e.pb.Schedule.Overlap, LastRun: e.last.shown(), Running: []RunInfo{},
		}
		if !s.stopping {
			ph.NextSlot, ph.NextFire = loc(e.next, e), loc(e.fireAt, e)
			if rs := e.ahead; rs != nil {
				ph.NextSlot, ph.NextFire = loc(rs.slot, e), loc(rs.fireAt, e)
			}
		}
		if e.pending != nil {
			ph.Queued = loc(e.pending.slot, e)
		}
		for _, rs := range e.running {
			ph.Running = append(ph.Running, *rs.info().shown())
		}
		h.Playbooks = append(h.Playbooks, ph)
	}
	s.eachRun(func(rs *runState) {
		if rs.waiting {
			h.Waiting++
		} else {
			h.Running++
		}
	})
	return h
}

// utcSecond is an instant as /healthz shows it: in UTC, to the second.
func utcSecond(t time.Time) time.Time { return t.UTC().Truncate(time.Second) }

// shown returns a copy of ri with its start and end as /healthz shows
// them (utcSecond); nil for nil.
func (ri *RunInfo) shown() *RunInfo {
	if ri == nil {
		return nil
	}
	c := *ri
	for _, t := range []**time.Time{&c.StartedAt, &c.FinishedAt} {
		if *t != nil {
			u := utcSecond(**t)
			*t = &u
		}
	}
	return &c
}

// shown returns a copy of p with its time as /healthz shows it; nil for
// nil.
func (p *Problem) shown() *Problem {
	if p == nil {
		return nil
	}
	return &Problem{At: utcSecond(p.At), Message: p.Message}
}

func (rs *runState) info() *RunInfo {
	ri := RunInfo{ID: rs.id, Slot: rs.slot, Status: "starting"}
	switch {
	case rs.waiting:
		ri.Status = "waiting"
	case rs.handle != nil:
		start := rs.start
		ri.Status, ri.StartedAt = "running", &start
	}
	return &ri
}

// Handler serves GET /healthz (the Health as JSON; 503 while stopping) and
// GET /metrics (the Registry in the Prometheus text format). It never
// waits for a run.
func (s *Scheduler) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		h := s.Health()
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Cache-Control", "no-store")
		if h.Status == "stopping" {
			w.WriteHeader(http.StatusServiceUnavailable)
		}
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		enc.Encode(h)
	})
	// A collector that cannot be read (the history's resources while the
	// database does not answer) leaves its series out, logged and counted
	// (promhttp_metric_handler_errors_total); the rest is served.
	mux.Handle("GET /metrics", promhttp.HandlerFor(s.cfg.Registry, promhttp.HandlerOpts{
		Registry: s.cfg.Registry, ErrorHandling: promhttp.ContinueOnError, ErrorLog: metricsLog{s},
	}))
	return mux
}

// metricsFailedMessage is the log line of a scrape that left series out.
const metricsFailedMessage = "/metrics: some series could not be read and were left out"

// metricsLog logs what /metrics could not gather, as a warning.
type metricsLog struct{ s *Scheduler }

func (l metricsLog) Println(v ...any) {
	msg := strings.TrimPrefix(strings.TrimSpace(fmt.Sprintln(v...)), "error gathering metrics: ")
	l.s.log.Warn().Str("error", msg).Msg(metricsFailedMessage)
}
