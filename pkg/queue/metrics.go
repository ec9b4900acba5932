package queue

import (
	"context"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Metrics are the queue's Prometheus series: queue depth, the latency
// from a run's queueing to its start, rescues and retries, and, fed by
// the leader election, leadership and its changes.
type Metrics struct {
	submitted prometheus.Counter
	latency   prometheus.Histogram
	rescued   prometheus.Counter
	retried   prometheus.Counter
	// Leader is 1 while this replica fires the schedules.
	Leader prometheus.Gauge
	// LeaderChanges counts the times this replica became leader or
	// stopped being it.
	LeaderChanges prometheus.Counter
}

func newMetrics() *Metrics {
	return &Metrics{
		submitted: prometheus.NewCounter(prometheus.CounterOpts{Name: "arsenal_queue_runs_submitted_total", Help: "Runs this replica queued."}),
		latency: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "arsenal_queue_job_latency_seconds", Help: "Time from a run's queueing to its start on this replica.",
			Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30},
		}),
		rescued: prometheus.NewCounter(prometheus.CounterOpts{Name: "arsenal_queue_rescues_total",
			Help: "Runs this replica marked interrupted because the replica running them stopped sending heartbeats."}),
		retried: prometheus.NewCounter(prometheus.CounterOpts{Name: "arsenal_queue_retries_total",
			Help: "Runs lost with their replica that this replica queued again (retry_on_node_loss)."}),
		Leader:        prometheus.NewGauge(prometheus.GaugeOpts{Name: "arsenal_leader", Help: "1 while this replica is the leader that fires the schedules."}),
		LeaderChanges: prometheus.NewCounter(prometheus.CounterOpts{Name: "arsenal_leader_changes_total", Help: "Times this replica became the leader or stopped being it."}),
	}
}

// Collectors returns every series, with gauges of the queue's depth read
// from the database at each scrape.
func (q *Queue) Collectors() []prometheus.Collector {
	depth := func(running bool) func() float64 {
		return func() float64 {
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
			defer cancel()
			w, r, err := q.Depth(ctx)
			if err != nil {
				return -1
			}
			if running {
				return float64(r)
			}
			return float64(w)
		}
	}
	m := q.metrics
	return []prometheus.Collector{m.submitted, m.latency, m.rescued, m.retried, m.Leader, m.LeaderChanges,
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "arsenal_queue_depth", Help: "Queued runs waiting for a worker, on every replica (-1: the database did not answer)."}, depth(false)),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "arsenal_queue_running", Help: "Queued runs started and going on, on every replica (-1: the database did not answer)."}, depth(true)),
	}
}
