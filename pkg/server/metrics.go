package server

import (
	"log"
	"net/http"
	"sync"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/arsenal-run/arsenal-run/pkg/runs"
	"github.com/arsenal-run/arsenal-run/pkg/scheduler"
)

// maxPlaybookLabels bounds the playbook label of the runs metric: past it,
// further playbooks count as scheduler.OtherPlaybooks, a label no
// playbook's name can be (a name starts with a letter or a digit), as in
// the scheduler's series. Ops and routes are bounded by the registry and
// the route table.
const maxPlaybookLabels = 200

// metrics are the server's Prometheus metrics, on a registry of their own.
type metrics struct {
	reg       *prometheus.Registry
	handler   http.Handler
	requests  *prometheus.CounterVec
	latency   *prometheus.HistogramVec
	execs     *prometheus.CounterVec
	runs      *prometheus.CounterVec
	authFails *prometheus.CounterVec
	streams   prometheus.Gauge
	// ops are the execution counters of each operation by outcome, and
	// of "other" for a name the registry does not have.
	ops map[string]*series[string]

	mu        sync.Mutex
	playbooks map[string]bool
}

func newMetrics(s *Server) *metrics {
	m := &metrics{reg: prometheus.NewRegistry(), ops: map[string]*series[string]{}, playbooks: map[string]bool{}}
	m.requests = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "arsenal_http_requests_total", Help: "HTTP requests by route (method and path pattern of the route table; other: console pages and paths no route serves) and status code.",
	}, []string{"route", "code"})
	m.latency = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name: "arsenal_http_request_duration_seconds", Help: "HTTP request latency by route.",
		Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60},
	}, []string{"route"})
	m.execs = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "arsenal_executions_total", Help: "Operation calls through the API (execute, batch, processes, supervisors, cluster), by op and outcome: the call's status (succeeded, failed, denied, cancelled, skipped), or the error class of a call refused before it ran (validation, authorization, not_found, rate_limited, unavailable, internal).",
	}, []string{"op", "outcome"})
	for _, n := range append(s.mgr.Service().Registry().Names(), "other") {
		m.ops[n] = newSeries(func(outcome string) prometheus.Counter { return m.execs.WithLabelValues(n, outcome) })
	}
	m.runs = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "arsenal_runs_total", Help: "Playbook runs that ended, by playbook and status.",
	}, []string{"playbook", "status"})
	m.authFails = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "arsenal_auth_failures_total", Help: "Failed authentications by reason.",
	}, []string{"reason"})
	m.streams = prometheus.NewGauge(prometheus.GaugeOpts{
		Name: "arsenal_event_streams", Help: "Open event streams.",
	})
	mgr := s.mgr
	queue := prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "arsenal_run_queue_depth", Help: "Playbook runs of this process waiting for a run slot (--max-running).",
	}, func() float64 { return float64(mgr.Queued()) })
	active := prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "arsenal_runs_active", Help: "Playbook runs of this process queued or running; operation calls are not counted.",
	}, func() float64 { return float64(len(mgr.Active())) })
	m.reg.MustRegister(m.requests, m.latency, m.execs, m.runs, m.authFails, m.streams, queue, active,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	m.reg.MustRegister(s.cfg.Collectors...)
	// A collector that cannot be read (the history's resources while the
	// database does not answer) leaves its series out of the scrape and
	// is logged and counted (promhttp_metric_handler_errors_total): the
	// rest, the queue and the leadership among them, is served all the same.
	m.handler = promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{Registry: m.reg, ErrorHandling: promhttp.ContinueOnError, ErrorLog: log.New(s.cfg.Log, "GET /metrics: ", 0)})
	mgr.OnEnd(m.runEnded)
	return m
}

func (m *metrics) serve(w http.ResponseWriter, r *http.Request, c *Principal) *apiError {
	// Made public (--public-metrics) it skips the key's check, and with it
	// the query's: a key sent in the URL is refused here too.
	if c == nil {
		if e := checkQuery(r); e != nil {
			return e
		}
	}
	m.handler.ServeHTTP(w, r)
	return nil
}

func (m *metrics) execution(op, outcome string) {
	s := m.ops[op]
	if s == nil {
		s = m.ops["other"]
	}
	s.inc(outcome)
}

func (m *metrics) authFailure(reason string) { m.authFails.WithLabelValues(reason).Inc() }

func (m *metrics) runEnded(h *runs.Handle) {
	m.runs.WithLabelValues(m.playbookLabel(h.Playbook()), h.Status()).Inc()
}

// playbookLabel returns the playbook label for name, within
// maxPlaybookLabels.
func (m *metrics) playbookLabel(name string) string {
	m.mu.Lock()
	defer m.mu.Unlock()
	if !m.playbooks[name] {
		if len(m.playbooks) >= maxPlaybookLabels {
			return scheduler.OtherPlaybooks
		}
		m.playbooks[name] = true
	}
	return name
}
