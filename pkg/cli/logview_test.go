package cli

import (
	"bytes"
	"encoding/json"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/rs/zerolog"

	"github.com/arsenal-run/arsenal-run/pkg/engine"
	"github.com/arsenal-run/arsenal-run/pkg/report"
)

// itemEvents are the events of one item of a fan-out over hosts.
func itemEvents() []engine.Event {
	i := 1
	at := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	ev := engine.Event{RunID: "r1", Time: at, Step: "ping", Op: "ssh.exec", Index: &i, Items: 3, Label: "web-2"}
	started, done := ev, ev
	started.Kind = engine.EventItemStarted
	done.Kind, done.Status = engine.EventItemFinished, "succeeded"
	return []engine.Event{started, done}
}

// TestLogViewItemLines: at debug, an item's start and end are logged, and
// both lines carry the item's index and label, as the SSE events do; above
// debug they cost nothing.
func TestLogViewItemLines(t *testing.T) {
	var out bytes.Buffer
	v := newLogView(&out, true, zerolog.DebugLevel, false)
	for _, ev := range itemEvents() {
		v.Event(ev)
	}
	v.w.Flush()
	var msgs []string
	for _, line := range strings.Split(strings.TrimSpace(out.String()), "\n") {
		var m map[string]any
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Fatalf("%q: %v", line, err)
		}
		msgs = append(msgs, m["message"].(string))
		if m["level"] != "debug" || m["label"] != "web-2" || m["index"] != float64(1) || m["step"] != "ping" {
			t.Errorf("item line %s", line)
		}
	}
	if strings.Join(msgs, ",") != "item started,item finished" {
		t.Errorf("item lines %q, want item started and item finished", msgs)
	}

	out.Reset()
	v = newLogView(&out, false, zerolog.DebugLevel, false)
	v.Event(itemEvents()[0])
	v.w.Flush()
	if got := out.String(); !strings.Contains(got, "DBG item started index=1 label=web-2 step=ping op=ssh.exec run_id=r1") {
		t.Errorf("console line %q", got)
	}

	// Above debug, item events write nothing and allocate nothing.
	v = newLogView(io.Discard, true, zerolog.InfoLevel, false)
	evs := itemEvents()
	if n := testing.AllocsPerRun(100, func() {
		for _, ev := range evs {
			v.Event(ev)
		}
	}); n != 0 {
		t.Errorf("%v allocations per item at info", n)
	}
	if v.w.Buffered() != 0 {
		t.Errorf("item lines written at info")
	}
}

// TestScheduleLogItemLinesCostNothingAboveDebug: the scheduler's log of
// its runs' events builds nothing for an item line below its level.
func TestScheduleLogItemLinesCostNothingAboveDebug(t *testing.T) {
	log := zerolog.New(io.Discard).Level(zerolog.WarnLevel)
	for _, ev := range itemEvents() {
		if n := testing.AllocsPerRun(100, func() { logEvent(log, ev) }); n != 0 {
			t.Errorf("%s at warn: %.1f allocations, want 0", ev.Kind, n)
		}
	}
}

// TestRetryLogLine: a retry line gives the error of the attempt that
// failed, or, for one that succeeded but whose retry.until is false, the
// condition, never an empty error.
func TestRetryLogLine(t *testing.T) {
	for _, tc := range []struct {
		ev         engine.Event
		want, none string
	}{
		{engine.Event{Kind: engine.EventRetry, Step: "a", Attempt: 1, DelayMS: 1000, Err: "connection refused", ErrClass: "execution"},
			`"error_class":"execution","error":"connection refused"`, `"condition"`},
		{engine.Event{Kind: engine.EventRetry, Step: "d", Attempt: 1, DelayMS: 1000, Message: "retry.until (output.ready) is false"},
			`"condition":"retry.until (output.ready) is false"`, `"error"`},
	} {
		var b bytes.Buffer
		v := newLogView(&b, true, zerolog.InfoLevel, false)
		v.Event(tc.ev)
		v.w.Flush()
		if got := b.String(); !strings.Contains(got, tc.want) || strings.Contains(got, tc.none) || !strings.Contains(got, `"message":"retrying"`) {
			t.Errorf("the retry line of %+v:\n%s\nwant %s and no %s", tc.ev, got, tc.want, tc.none)
		}
	}
}

// TestLogViewIgnoredFailure: the line of a step whose failure
// continue_on_error ignored says so beside its status.
func TestLogViewIgnoredFailure(t *testing.T) {
	var out bytes.Buffer
	v := newLogView(&out, false, zerolog.InfoLevel, false)
	at := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	v.Event(engine.Event{Kind: engine.EventStepFinished, RunID: "r1", Time: at, Step: "probe", Op: "shell.exec", Status: "failed", Attempts: 1, Err: "exit 3", ErrClass: "execution", Ignored: true})
	v.Event(engine.Event{Kind: engine.EventStepFinished, RunID: "r1", Time: at, Step: "gate", Op: "shell.exec", Status: "failed", Attempts: 1, Err: "exit 3", ErrClass: "execution"})
	v.w.Flush()
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) != 2 || !strings.Contains(lines[0], "status=failed ignored=continue_on_error ") || strings.Contains(lines[1], "ignored") {
		t.Errorf("lines:\n%s", out.String())
	}
}

// TestLogViewItemFinishedFields: an item's line carries what its
// item_finished event says, as a step's line does: its tries, its time,
// whether the cache answered it, and its error's class. A rollout's log
// told only an item's status and error.
func TestLogViewItemFinishedFields(t *testing.T) {
	at := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	failed, cached := 2, 0
	evs := []engine.Event{
		{Kind: engine.EventItemFinished, RunID: "r1", Time: at, Step: "roll", Op: "shell.exec", Index: &failed, Items: 3,
			Status: "failed", Attempts: 3, DurationMS: 4200, Err: "exit code 1", ErrClass: "execution"},
		{Kind: engine.EventItemFinished, RunID: "r1", Time: at, Step: "roll", Op: "shell.exec", Index: &cached, Items: 3,
			Status: "succeeded", DurationMS: 1, Cached: true, CacheAgeMS: 90000},
		{Kind: engine.EventStepFinished, RunID: "r1", Time: at, Step: "roll", Op: "shell.exec",
			Status: "failed", Attempts: 3, DurationMS: 4300, Err: "item 2: exit code 1", ErrClass: "execution"},
	}
	var out bytes.Buffer
	v := newLogView(&out, true, zerolog.DebugLevel, false)
	for _, ev := range evs {
		v.Event(ev)
	}
	v.w.Flush()
	var got []map[string]any
	for _, line := range strings.Split(strings.TrimSpace(out.String()), "\n") {
		var m map[string]any
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Fatalf("%q: %v", line, err)
		}
		delete(m, "time")
		got = append(got, m)
	}
	want := []map[string]any{
		{"level": "warn", "run_id": "r1", "step": "roll", "op": "shell.exec", "index": float64(2), "status": "failed", "attempts": float64(3),
			"duration_ms": float64(4200), "error_class": "execution", "error": "exit code 1", "message": "item finished"},
		{"level": "debug", "run_id": "r1", "step": "roll", "op": "shell.exec", "index": float64(0), "status": "succeeded",
			"duration_ms": float64(1), "cached": "true", "cache_age": "1m30s", "message": "item finished"},
		{"level": "error", "run_id": "r1", "step": "roll", "op": "shell.exec", "status": "failed", "attempts": float64(3),
			"duration_ms": float64(4300), "error_class": "execution", "error": "item 2: exit code 1", "message": "step finished"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("JSON lines (-want +got):\n%s", diff)
	}

	out.Reset()
	v = newLogView(&out, false, zerolog.DebugLevel, false)
	v.Event(evs[0])
	v.w.Flush()
	if line := out.String(); !strings.Contains(line, "WRN item finished index=2 status=failed attempts=3 duration=4.2s error_class=execution error=\"exit code 1\" step=roll") {
		t.Errorf("console line %q", line)
	}
}

// TestLogViewConfirmUnanswered: a question that ended without an answer
// (the run cancelled, a timeout run out) is logged as unanswered, not as
// answered no.
func TestLogViewConfirmUnanswered(t *testing.T) {
	var out bytes.Buffer
	v := newLogView(&out, true, zerolog.InfoLevel, false)
	v.Event(engine.Event{Kind: engine.EventConfirmAnswered, RunID: "r1", Step: "a", Op: "control.noop"})
	v.Event(engine.Event{Kind: engine.EventConfirmAnswered, RunID: "r1", Step: "b", Op: "control.noop", Answer: "no", By: "alice"})
	v.w.Flush()
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) != 2 || !strings.Contains(lines[0], `"message":"confirm unanswered"`) || strings.Contains(lines[0], `"answer"`) ||
		!strings.Contains(lines[1], `"answer":"no","by":"alice","message":"confirm answered"`) {
		t.Errorf("lines:\n%s", out.String())
	}
}

// TestLogViewSubRunLinesNameTheParentItem: the lines of a sub-playbook
// that a fan-out of playbook.run started name the parent's step and item
// (parent_step), in JSON, on the console and in the scheduler's log: the
// sub-runs of a fan-out over hosts run side by side, and without it a
// failed inner step could not be told to belong to one host or another.
func TestLogViewSubRunLinesNameTheParentItem(t *testing.T) {
	at := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	ev := engine.Event{Kind: engine.EventStepFinished, RunID: "sub2", ParentRunID: "r1", ParentStep: "per[1]", Time: at,
		Step: "inner", Op: "shell.exec", Status: "failed", Attempts: 1, DurationMS: 5, Err: "exit code 1", ErrClass: "execution"}
	var out bytes.Buffer
	v := newLogView(&out, true, zerolog.InfoLevel, false)
	v.Event(ev)
	v.w.Flush()
	var m map[string]any
	if err := json.Unmarshal(out.Bytes(), &m); err != nil {
		t.Fatalf("%q: %v", out.String(), err)
	}
	if m["parent_run_id"] != "r1" || m["parent_step"] != "per[1]" {
		t.Errorf("JSON line %s: want parent_run_id r1 and parent_step per[1]", out.String())
	}

	out.Reset()
	v = newLogView(&out, false, zerolog.InfoLevel, false)
	v.Event(ev)
	v.w.Flush()
	if got := out.String(); !strings.Contains(got, " run_id=sub2 parent_step=per[1]\n") {
		t.Errorf("console line %q: want parent_step=per[1]", got)
	}

	out.Reset()
	logEvent(zerolog.New(&out), ev)
	if err := json.Unmarshal(out.Bytes(), &m); err != nil {
		t.Fatalf("%q: %v", out.String(), err)
	}
	if m["parent_step"] != "per[1]" {
		t.Errorf("scheduler's line %s: want parent_step per[1]", out.String())
	}
}

// TestScheduleLogItemOutputNamesTheItem: a line an item's operation
// printed carries the item's label beside its index in the scheduler's
// log, as in `run`'s JSON log: items of a fan-out over hosts run side by
// side, and an index alone does not say which host spoke.
func TestScheduleLogItemOutputNamesTheItem(t *testing.T) {
	at := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	i := 1
	ev := engine.Event{Kind: engine.EventLog, RunID: "r1", Time: at, Step: "ping", Op: "ssh.exec", Index: &i, Label: "web-2", Stream: "stdout", Message: "pong"}
	var out bytes.Buffer
	v := newLogView(&out, true, zerolog.InfoLevel, false)
	v.Event(ev)
	v.w.Flush()
	var cli, sched map[string]any
	if err := json.Unmarshal(out.Bytes(), &cli); err != nil {
		t.Fatalf("%q: %v", out.String(), err)
	}
	out.Reset()
	logEvent(zerolog.New(&out), ev)
	if err := json.Unmarshal(out.Bytes(), &sched); err != nil {
		t.Fatalf("%q: %v", out.String(), err)
	}
	for _, m := range []map[string]any{cli, sched} {
		if m["index"] != float64(1) || m["label"] != "web-2" || m["message"] != "pong" {
			t.Errorf("line %v: want index 1, label web-2 and the message", m)
		}
	}
}

// TestLogViewNotificationLine: the line of a notify entry that failed
// says who got its message: nobody, part of its recipients, or everyone
// with the run summary in place of its text. Before, each said only
// "step finished", and the engine's "notification not sent" never
// reached the run's output.
func TestLogViewNotificationLine(t *testing.T) {
	var out bytes.Buffer
	v := newLogView(&out, false, zerolog.InfoLevel, false)
	at := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	for id, n := range map[string]*report.Notification{
		"gone": {Sent: report.SentNone},
		"mail": {Sent: report.SentSome, Recipients: 2, Of: 3},
		"page": {Sent: report.SentAll, Summary: true},
	} {
		v.Event(engine.Event{Kind: engine.EventStepFinished, RunID: "r1", Time: at, Step: id, Section: "notify", Op: "notify.email", Status: "failed", Attempts: 1, Err: "x", ErrClass: "validation", Notification: n})
	}
	v.w.Flush()
	for _, want := range []string{"notification not sent", "notification sent to 2 of 3 recipients", "notification sent with the run summary in place of its own text"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("no %q in:\n%s", want, out.String())
		}
	}
}
