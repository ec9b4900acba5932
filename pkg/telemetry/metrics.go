package telemetry

import (
	"fmt"
	"io"
	"strings"

	"github.com/arsenal-run/arsenal-run/pkg/history"
)

// WriteResourceMetrics writes the per-operation resource figures of
// history.Store.ResourceStats in the Prometheus text format, for a
// /metrics endpoint:
//
//	arsenal_op_cpu_seconds{op="shell.exec",quantile="0.5"} 0.21
//	arsenal_op_cpu_seconds{op="shell.exec",quantile="0.95"} 1.5
//	arsenal_op_process_calls{op="shell.exec"} 7
//	arsenal_op_max_rss_bytes{op="shell.exec"} 2.097152e+08
//
// Operation names are registry names, a bounded set.
func WriteResourceMetrics(w io.Writer, stats []history.OpResources) error {
	var b strings.Builder
	b.WriteString("# HELP arsenal_op_cpu_seconds CPU time (user plus system) of the operation calls that ran a local process.\n")
	b.WriteString("# TYPE arsenal_op_cpu_seconds gauge\n")
	for _, s := range stats {
		fmt.Fprintf(&b, "arsenal_op_cpu_seconds{op=%q,quantile=\"0.5\"} %g\n", s.Op, float64(s.P50MS)/1000)
		fmt.Fprintf(&b, "arsenal_op_cpu_seconds{op=%q,quantile=\"0.95\"} %g\n", s.Op, float64(s.P95MS)/1000)
	}
	b.WriteString("# HELP arsenal_op_process_calls Operation calls that ran a local process and reported its resources.\n")
	b.WriteString("# TYPE arsenal_op_process_calls gauge\n")
	for _, s := range stats {
		fmt.Fprintf(&b, "arsenal_op_process_calls{op=%q} %d\n", s.Op, s.Count)
	}
	b.WriteString("# HELP arsenal_op_max_rss_bytes Largest peak resident set of the operation's processes.\n")
	b.WriteString("# TYPE arsenal_op_max_rss_bytes gauge\n")
	for _, s := range stats {
		fmt.Fprintf(&b, "arsenal_op_max_rss_bytes{op=%q} %g\n", s.Op, float64(s.MaxRSSKB)*1024)
	}
	_, err := io.WriteString(w, b.String())
	return err
}
