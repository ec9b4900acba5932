package cli

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/arsenal-run/arsenal-run/pkg/engine"
	"github.com/arsenal-run/arsenal-run/pkg/runs"
)

// TestLogViewDroppedLineHasTimeAndRunID: the line saying that log lines
// were dropped (the log fell behind a step printing fast) carries the
// run's id and a time, as every other line does, rather than run_id="" and
// 0001-01-01, which a log query by run or by time leaves out.
func TestLogViewDroppedLineHasTimeAndRunID(t *testing.T) {
	s := runs.NewStream()
	at := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	s.Publish(engine.Event{Kind: engine.EventRunStarted, RunID: "r1", Time: at, Playbook: "p"})
	for range runs.DefaultReplay + 10 {
		s.Publish(engine.Event{Kind: engine.EventLog, RunID: "r1", Time: at, Step: "s", Op: "shell.exec", Stream: "stdout", Message: "x", Level: "info"})
	}
	s.Close()
	var buf bytes.Buffer
	before := time.Now()
	v := newLogView(&buf, true, zerolog.InfoLevel, false)
	v.follow(s, "r1")
	var line struct {
		Time    time.Time `json:"time"`
		RunID   string    `json:"run_id"`
		Dropped int       `json:"dropped"`
	}
	for _, l := range strings.Split(buf.String(), "\n") {
		if strings.Contains(l, `"dropped"`) {
			if err := json.Unmarshal([]byte(l), &line); err != nil {
				t.Fatal(err)
			}
			break
		}
	}
	if line.Dropped == 0 {
		t.Fatalf("no line says log lines were dropped:\n%.500s", buf.String())
	}
	if line.RunID != "r1" || line.Time.Before(before.Add(-time.Second)) {
		t.Errorf("the dropped line has run_id %q and time %v; want r1 and the time it was written", line.RunID, line.Time)
	}
}
