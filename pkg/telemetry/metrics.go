package telemetry

import (
	"context"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/arsenal-run/arsenal-run/pkg/history"
)

// ResourceWindow is how far back the resource metrics look.
const ResourceWindow = time.Hour

// Resources is what ResourceCollector reads: the store's per-operation
// resource figures (history.Store.ResourceStats, and the PostgreSQL
// store's).
type Resources interface {
	ResourceStats(ctx context.Context, since time.Time) ([]history.OpResources, error)
}

// ResourceCollector exports, for /metrics, the resources used by the
// operation calls that ran a local process in the last ResourceWindow,
// read from the store at each scrape:
//
//	arsenal_op_cpu_seconds{op="shell.exec",quantile="0.5"} 0.21
//	arsenal_op_cpu_seconds{op="shell.exec",quantile="0.95"} 1.5
//	arsenal_op_process_calls{op="shell.exec"} 7
//	arsenal_op_max_rss_bytes{op="shell.exec"} 2.097152e+08
//
// Operation names are registry names, a bounded set. A store that cannot
// be read makes the collector report the error: the /metrics of serve and
// schedule then leave these series out, log it and count it in
// promhttp_metric_handler_errors_total, and serve the rest.
func ResourceCollector(store Resources) prometheus.Collector {
	return &resources{store: store, now: time.Now}
}

var (
	cpuDesc = prometheus.NewDesc("arsenal_op_cpu_seconds",
		"CPU time (user plus system) of the operation calls that ran a local process in the last hour, by quantile.",
		[]string{"op", "quantile"}, nil)
	callsDesc = prometheus.NewDesc("arsenal_op_process_calls",
		"Operation calls in the last hour that ran a local process and reported its resources.",
		[]string{"op"}, nil)
	rssDesc = prometheus.NewDesc("arsenal_op_max_rss_bytes",
		"Largest peak resident set of the operation's processes in the last hour.",
		[]string{"op"}, nil)
)

type resources struct {
	store Resources
	now   func() time.Time
}

func (r *resources) Describe(ch chan<- *prometheus.Desc) {
	ch <- cpuDesc
	ch <- callsDesc
	ch <- rssDesc
}

func (r *resources) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	stats, err := r.store.ResourceStats(ctx, r.now().Add(-ResourceWindow))
	if err != nil {
		ch <- prometheus.NewInvalidMetric(cpuDesc, err)
		return
	}
	for _, s := range stats {
		ch <- prometheus.MustNewConstMetric(cpuDesc, prometheus.GaugeValue, float64(s.P50MS)/1000, s.Op, "0.5")
		ch <- prometheus.MustNewConstMetric(cpuDesc, prometheus.GaugeValue, float64(s.P95MS)/1000, s.Op, "0.95")
		ch <- prometheus.MustNewConstMetric(callsDesc, prometheus.GaugeValue, float64(s.Count), s.Op)
		ch <- prometheus.MustNewConstMetric(rssDesc, prometheus.GaugeValue, float64(s.MaxRSSKB)*1024, s.Op)
	}
}
