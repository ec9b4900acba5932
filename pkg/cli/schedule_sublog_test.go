package cli

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/rs/zerolog"

	"github.com/arsenal-run/arsenal-run/pkg/engine"
	"github.com/arsenal-run/arsenal-run/pkg/runs"
	"github.com/arsenal-run/arsenal-run/pkg/scheduler"
)

// TestScheduleSubRunLinesCarryTheirOwnRunID: schedule wrote a
// sub-playbook's lines with the id of the scheduled run as run_id, the
// same as their parent_run_id: the sub-run's own id, which its report
// rows and audit lines carry, was nowhere in the log. Its lines carry
// it, beside the parent's.
func TestScheduleSubRunLinesCarryTheirOwnRunID(t *testing.T) {
	var out bytes.Buffer
	metrics, err := scheduler.NewStepMetrics(prometheus.NewRegistry())
	if err != nil {
		t.Fatal(err)
	}
	f := &runFollower{log: zerolog.New(&out), steps: metrics}
	top := f.log.With().Str("run_id", "top").Logger()
	subLog := func(id string) zerolog.Logger { return f.log.With().Str("run_id", id).Logger() }
	s := runs.NewStream()
	s.Publish(engine.Event{Kind: engine.EventStepFinished, RunID: "child", ParentRunID: "top", ParentStep: "sub", Step: "boom", Op: "control.fail", Status: "failed", Attempts: 1})
	s.Publish(engine.Event{Kind: engine.EventStepFinished, RunID: "top", Step: "sub", Op: "playbook.run", Status: "failed", Attempts: 1})
	s.Close()
	f.follow(top, subLog, s.Subscribe(0))
	var got []string
	for line := range strings.Lines(out.String()) {
		var m map[string]any
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Fatalf("not JSON: %q", line)
		}
		if strings.Count(line, `"run_id"`) != 1 {
			t.Errorf("run_id given more than once: %s", line)
		}
		got = append(got, m["step"].(string)+" "+m["run_id"].(string))
	}
	if want := "boom child\nsub top"; strings.Join(got, "\n") != want {
		t.Errorf("lines' run ids:\n%s\nwant:\n%s\nlog:\n%s", strings.Join(got, "\n"), want, out.String())
	}
}
