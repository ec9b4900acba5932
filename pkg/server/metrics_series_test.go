package server

import (
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
)

// TestSeriesCountEveryRequestOnce: counters found once and kept count
// every request of every goroutine, the first of a new code or outcome
// among them, each under its own labels.
func TestSeriesCountEveryRequestOnce(t *testing.T) {
	m := benchMetrics()
	rs := m.newRouteSeries("POST /x")
	codes := []int{200, 404, 429, 503}
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 500 {
				rs.observe(codes[(g+i)%len(codes)], 0.001)
				m.execution("control.noop", "succeeded")
				m.execution("no.such", "not_found")
			}
		})
	}
	wg.Wait()
	for _, c := range codes {
		if n := testutil.ToFloat64(m.requests.WithLabelValues("POST /x", strconv.Itoa(c))); n != 1000 {
			t.Errorf("requests with code %d = %v, want 1000", c, n)
		}
	}
	if n := testutil.ToFloat64(m.execs.WithLabelValues("control.noop", "succeeded")); n != 4000 {
		t.Errorf("control.noop succeeded = %v, want 4000", n)
	}
	if n := testutil.ToFloat64(m.execs.WithLabelValues("other", "not_found")); n != 4000 {
		t.Errorf("other not_found = %v, want 4000", n)
	}
	if n := testutil.CollectAndCount(m.latency); n != 1 {
		t.Errorf("%d latency series, want the one route's", n)
	}
}

// TestMetricsShowOnlyRoutesThatServed: a route's series appear with its
// first request, as they did when each request looked them up; a scrape
// lists no route that served nothing.
func TestMetricsShowOnlyRoutesThatServed(t *testing.T) {
	ts := newTestServer(t)
	ts.post("operator", "/api/v1/operations/control.noop/execute", map[string]any{}).want(t, 200)
	m := string(ts.get("viewer", "/metrics").want(t, 200).body)
	want := `arsenal_http_requests_total{code="200",route="POST /api/v1/operations/{name}/execute"} 1`
	if !strings.Contains(m, want) {
		t.Errorf("/metrics lacks %s", want)
	}
	if strings.Contains(m, `route="GET /api/v1/runs"`) {
		t.Errorf("/metrics has a series of a route that served nothing:\n%s", m)
	}
}

func benchMetrics() *metrics {
	m := &metrics{ops: map[string]*series[string]{}}
	m.requests = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "r"}, []string{"route", "code"})
	m.latency = prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "l", Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60}}, []string{"route"})
	m.execs = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "e"}, []string{"op", "outcome"})
	for _, n := range []string{"control.noop", "other"} {
		m.ops[n] = newSeries(func(o string) prometheus.Counter { return m.execs.WithLabelValues(n, o) })
	}
	return m
}

// BenchmarkRequestMetrics is what an execute's metrics cost: its request
// counter, latency and execution counter, looked up by their labels each
// time (as they were) and found once.
func BenchmarkRequestMetrics(b *testing.B) {
	const route = "POST /api/v1/operations/{name}/execute"
	b.Run("WithLabelValues", func(b *testing.B) {
		m := benchMetrics()
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				m.requests.WithLabelValues(route, strconv.Itoa(200)).Inc()
				m.latency.WithLabelValues(route).Observe(0.001)
				m.execs.WithLabelValues("control.noop", "succeeded").Inc()
			}
		})
	})
	b.Run("found once", func(b *testing.B) {
		m := benchMetrics()
		rs := m.newRouteSeries(route)
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				rs.observe(200, 0.001)
				m.execution("control.noop", "succeeded")
			}
		})
	})
}
