package server

import (
	"errors"
	"strconv"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
)

// failingCollector is a collector whose source cannot be read, as the
// history's resource figures while the database does not answer.
type failingCollector struct{ desc *prometheus.Desc }

func (c failingCollector) Describe(ch chan<- *prometheus.Desc) { ch <- c.desc }

func (c failingCollector) Collect(ch chan<- prometheus.Metric) {
	ch <- prometheus.NewInvalidMetric(c.desc, errors.New("the database does not answer"))
}

// TestMetricsSurviveAFailingCollector: one series that cannot be read
// (the history's, while the database is down) leaves the rest of
// /metrics served, and the failure counted, rather than making every
// scrape a 500 at the moment the other series matter most.
func TestMetricsSurviveAFailingCollector(t *testing.T) {
	bad := failingCollector{prometheus.NewDesc("arsenal_test_broken", "A series that cannot be read.", nil, nil)}
	ts := newTestServer(t, func(c *Config) { c.Collectors = append(c.Collectors, bad) })
	ts.post("operator", "/api/v1/operations/control.noop/execute", map[string]any{}).want(t, 200)
	ts.get("viewer", "/metrics").want(t, 200)
	m := ts.get("viewer", "/metrics").want(t, 200) // counts the failure of the first
	for _, want := range []string{
		`arsenal_executions_total{op="control.noop",outcome="succeeded"} 1`,
		`arsenal_run_queue_depth 0`,
		`promhttp_metric_handler_errors_total{cause="gathering"} 1`,
	} {
		if !strings.Contains(string(m.body), want) {
			t.Errorf("metrics lack %s:\n%s", want, m.body)
		}
	}
}

// TestPlaybookLabelOverflowIsNotAPlaybook: past maxPlaybookLabels the runs
// of further playbooks share a label that no playbook can have, so a
// playbook named "other" keeps its series its own and a dashboard can tell
// it from the overflow.
func TestPlaybookLabelOverflowIsNotAPlaybook(t *testing.T) {
	m := &metrics{playbooks: map[string]bool{}}
	if got := m.playbookLabel("other"); got != "other" {
		t.Fatalf("label of playbook other = %q", got)
	}
	for i := 1; i < maxPlaybookLabels; i++ {
		m.playbookLabel("pb-" + strconv.Itoa(i))
	}
	over := m.playbookLabel("one-too-many")
	if over == "other" || over == "one-too-many" {
		t.Fatalf("overflow label = %q, want one no playbook can be named", over)
	}
	if got := m.playbookLabel("other"); got != "other" {
		t.Errorf("label of playbook other after the overflow = %q", got)
	}
}

// TestMetricsHelpSaysWhatLabelsHold: the HELP lines, read where the
// series are (a dashboard, promtool), name the values of the labels an
// alert selects on: the route other, and the outcomes of an operation
// call that did not run as well as those that did.
func TestMetricsHelpSaysWhatLabelsHold(t *testing.T) {
	ts := newTestServer(t)
	ts.post("operator", "/api/v1/operations/control.noop/execute", map[string]any{}).want(t, 200)
	m := string(ts.get("viewer", "/metrics").want(t, 200).body)
	for _, want := range []string{
		"# HELP arsenal_http_requests_total HTTP requests by route (method and path pattern of the route table; other: console pages and paths no route serves)",
		"by op and outcome: the call's status (succeeded, failed, denied, cancelled, skipped), or the error class of a call refused before it ran (validation, authorization, not_found, rate_limited, unavailable, internal)",
		"# HELP arsenal_runs_active Playbook runs of this process queued or running; operation calls are not counted.",
	} {
		if !strings.Contains(m, want) {
			t.Errorf("/metrics lacks %q", want)
		}
	}
}
