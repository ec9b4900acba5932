package scheduler

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
)

// brokenCollector cannot be read, as the history's resource figures
// while the database does not answer.
type brokenCollector struct{ desc *prometheus.Desc }

func (c brokenCollector) Describe(ch chan<- *prometheus.Desc) { ch <- c.desc }

func (c brokenCollector) Collect(ch chan<- prometheus.Metric) {
	ch <- prometheus.NewInvalidMetric(c.desc, errors.New("the database does not answer"))
}

// TestMetricsSurviveAFailingCollector: a series that cannot be read is
// left out of /metrics, logged and counted; the scheduler's own series
// are served all the same, not a 500.
func TestMetricsSurviveAFailingCollector(t *testing.T) {
	reg := prometheus.NewRegistry()
	reg.MustRegister(brokenCollector{prometheus.NewDesc("arsenal_test_broken", "A series that cannot be read.", nil, nil)})
	h := newHarness(t, t10, func(c *Config) { c.Registry = reg })
	h.load(playbook("a", "@every 1m"))
	srv := httptest.NewServer(h.s.Handler())
	defer srv.Close()
	var body string
	for range 2 { // the second scrape counts the failure of the first
		res, err := http.Get(srv.URL + "/metrics")
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode != http.StatusOK {
			t.Fatalf("/metrics: status %d: %s", res.StatusCode, b)
		}
		body = string(b)
	}
	for _, want := range []string{
		`arsenal_schedule_playbooks_loaded 1`,
		`promhttp_metric_handler_errors_total{cause="gathering"} 1`,
	} {
		if !strings.Contains(body, want+"\n") {
			t.Errorf("/metrics lacks %s:\n%s", want, body)
		}
	}
	logged := h.logs.lines("/metrics: some series could not be read and were left out")
	if len(logged) == 0 || !strings.Contains(fmt.Sprint(logged[0]["error"]), "the database does not answer") {
		t.Errorf("the failure is not logged: %v", logged)
	}
}
