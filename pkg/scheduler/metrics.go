package scheduler

import (
	"errors"
	"sync"

	"github.com/prometheus/client_golang/prometheus"
)

// MaxPlaybookLabels bounds the playbook label of the metrics: the first
// this many playbook names get their own series, later ones share the
// series labelled OtherPlaybooks, so a directory of generated playbooks
// cannot grow /metrics without bound.
const MaxPlaybookLabels = 2000

// OtherPlaybooks is the playbook label past MaxPlaybookLabels.
const OtherPlaybooks = "_other"

// Metrics are the scheduler's Prometheus series, as one Collector. New
// makes a set for each scheduler and registers it on Config.Registry. A
// program whose /metrics is not the scheduler's Handler, or that runs one
// scheduler after another in one process (serve: a standby that takes
// over, a replica each time it leads), makes one set with NewMetrics,
// registers it where it serves its metrics, before any scheduler exists,
// and gives it to each scheduler (Config.Metrics): the series are there
// from the start and the counters go on across the schedulers, as
// Prometheus expects of a process's counters.
type Metrics struct {
	runs      *prometheus.CounterVec   // playbook, status
	duration  *prometheus.HistogramVec // playbook
	fireDelay prometheus.Histogram
	skipped   *prometheus.CounterVec // playbook
	missed    *prometheus.CounterVec // playbook
	loaded    prometheus.Gauge
	running   prometheus.Gauge
	waiting   prometheus.Gauge
	reloads   *prometheus.CounterVec // result

	mu     sync.Mutex
	labels map[string]struct{}
}

// NewMetrics returns a set of the scheduler's series, registered nowhere.
func NewMetrics() *Metrics {
	return &Metrics{
		runs: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "arsenal_schedule_runs_total",
			Help: "Scheduled runs that ended, by playbook and final status; runs that could not start count as failed.",
		}, []string{"playbook", "status"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "arsenal_schedule_run_duration_seconds",
			Help:    "Duration of scheduled runs, from start to end, by playbook.",
			Buckets: []float64{0.01, 0.1, 0.5, 1, 5, 15, 60, 300, 900, 3600, 4 * 3600},
		}, []string{"playbook"}),
		fireDelay: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "arsenal_schedule_fire_delay_seconds",
			Help:    "How long after its planned time (slot plus jitter) a scheduled run really started: found late, caught up, or waiting for a place all count.",
			Buckets: []float64{0.001, 0.0025, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1, 5, 30},
		}),
		skipped: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "arsenal_schedule_slots_skipped_total",
			Help: "Slots recorded skipped: by the overlap policy, a run of the playbook still going, or because the schedule was paused.",
		}, []string{"playbook"}),
		missed: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "arsenal_schedule_slots_missed_total",
			Help: "Slots recorded missed: they came too late (scheduler down, machine suspended, clock jump, starting_deadline), or were still queued or waiting for a place when the scheduler stopped or a reload removed their playbook.",
		}, []string{"playbook"}),
		loaded: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "arsenal_schedule_playbooks_loaded",
			Help: "Playbooks the scheduler has loaded.",
		}),
		running: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "arsenal_schedule_runs_running",
			Help: "Scheduled runs going now; runs waiting for a place under --max-concurrent-runs are not counted (see arsenal_schedule_runs_waiting).",
		}),
		waiting: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "arsenal_schedule_runs_waiting",
			Help: "Scheduled runs launched but waiting for a place among the concurrent runs (--max-concurrent-runs); they count as running once they start.",
		}),
		reloads: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "arsenal_schedule_reloads_total",
			Help: "Loads of the set of playbooks, by result (ok, error).",
		}, []string{"result"}),
		labels: map[string]struct{}{},
	}
}

func (m *Metrics) collectors() []prometheus.Collector {
	return []prometheus.Collector{m.runs, m.duration, m.fireDelay, m.skipped, m.missed, m.loaded, m.running, m.waiting, m.reloads}
}

// Describe implements prometheus.Collector.
func (m *Metrics) Describe(ch chan<- *prometheus.Desc) {
	for _, c := range m.collectors() {
		c.Describe(ch)
	}
}

// Collect implements prometheus.Collector.
func (m *Metrics) Collect(ch chan<- prometheus.Metric) {
	for _, c := range m.collectors() {
		c.Collect(ch)
	}
}

// register puts m on reg, unless it is there already: the program that
// made m may have registered it on the registry it gives New too.
func (m *Metrics) register(reg prometheus.Registerer) error {
	err := reg.Register(m)
	var dup prometheus.AlreadyRegisteredError
	if errors.As(err, &dup) && dup.ExistingCollector == m {
		return nil
	}
	return err
}

// label returns the playbook label for name, within MaxPlaybookLabels.
func (m *Metrics) label(name string) string {
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, ok := m.labels[name]; ok {
		return name
	}
	if len(m.labels) >= MaxPlaybookLabels {
		return OtherPlaybooks
	}
	m.labels[name] = struct{}{}
	return name
}

// playbookSeries are the series of one playbook that its runs' ends add
// to, looked up once: a thousand playbooks @every 1s would otherwise take
// the label lock and hash the labels of two series a thousand times a
// second. An entry keeps its own (entry.series); the children of a vector
// are never deleted, so they stay those /metrics shows.
type playbookSeries struct {
	label    string
	duration prometheus.Observer
	runs     map[string]prometheus.Counter // by status
}

// seriesOf returns e's series, looked up on first use; s.mu is held.
func (s *Scheduler) seriesOf(e *entry) *playbookSeries {
	if e.series == nil {
		label := s.metrics.label(e.pb.Name)
		e.series = &playbookSeries{label: label, duration: s.metrics.duration.WithLabelValues(label), runs: map[string]prometheus.Counter{}}
	}
	return e.series
}

// ended counts a run of e that ended with status; s.mu is held.
func (s *Scheduler) ended(e *entry, status string) {
	ps := s.seriesOf(e)
	c, ok := ps.runs[status]
	if !ok {
		c = s.metrics.runs.WithLabelValues(ps.label, status)
		ps.runs[status] = c
	}
	c.Inc()
}
