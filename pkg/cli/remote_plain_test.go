package cli

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/arsenal-run/arsenal-run/internal/termtext"
	"github.com/arsenal-run/arsenal-run/pkg/engine"
	"github.com/arsenal-run/arsenal-run/pkg/report"
)

// TestPlainFollowCleansTerminalControls: off a terminal, 'remote run
// --follow' prints a line per finished step; a step's error quotes what
// the run read (a response, a decoded value), and reaches a terminal
// through a pipe or a CI log: its escape sequences are removed there, as
// run's own log lines remove them.
func TestPlainFollowCleansTerminalControls(t *testing.T) {
	var out strings.Builder
	v := &plainView{w: &out, runID: "r1"}
	evil := "\x1b]52;c;ZWNobyBwd25lZA==\x07\x1b]0;owned\x07\x1b[2J\u009b31m\r"
	now := time.Now()
	v.Event(engine.Event{Kind: engine.EventRunStarted, RunID: "r1", Time: now})
	v.Event(engine.Event{Kind: engine.EventStepStarted, RunID: "r1", Step: "probe" + evil, Time: now})
	v.Event(engine.Event{Kind: engine.EventStepFinished, RunID: "r1", Step: "probe" + evil, Status: "failed", Err: "bad answer: " + evil + "end", Time: now})
	got := out.String()
	if strings.ContainsAny(got, "\x1b\x07\r\u009b") {
		t.Errorf("the step's line keeps terminal controls: %q", got)
	}
	if !strings.Contains(got, "probe") || !strings.Contains(got, "bad answer: end") {
		t.Errorf("the step's line lost its text: %q", got)
	}
}

// TestRemoteFollowShowsStepsAfterAGapAtTheStart: a run that printed more
// events than the server keeps before the follow's stream was read (a
// slow link, a proxy that held the request) begins with a dropped marker,
// past its run_started and its steps' starts: each step the run goes on
// to finish still gets its line, with the time it took.
func TestRemoteFollowShowsStepsAfterAGapAtTheStart(t *testing.T) {
	srv := fakeRunServer(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		w.WriteHeader(http.StatusOK)
		fmt.Fprint(w, "event: dropped\ndata: {\"kind\":\"dropped\",\"dropped\":70000}\n\n")
		data, _ := json.Marshal(map[string]any{"seq": 70002, "kind": "step_finished", "run_id": fakeRunID, "step": "build",
			"status": "succeeded", "attempts": 1, "duration_ms": 1500})
		fmt.Fprintf(w, "id: 70002\nevent: step_finished\ndata: %s\n\n", data)
		writeEvent(t, w, 70003, "run_finished")
	})
	r := runEnv(t, map[string]string{"ARSENAL_SERVER": srv.URL, "ARSENAL_API_KEY": "ak_test"}, "remote", "run", "sleeper", "--follow")
	r.want(t, ExitOK, []string{"succeeded"}, []string{"(70000 events were dropped)"})
	line := ""
	for l := range strings.Lines(r.stderr) {
		if strings.Contains(l, "build") {
			line = l
		}
	}
	if !strings.Contains(line, "succeeded") || !strings.Contains(line, "1.5s") {
		t.Errorf("no line for the step build, with its 1.5s, in:\n%s", r.stderr)
	}
}

// TestRemoteFollowShowsAStepOnceAcrossARestart: a server restarted while
// the run was followed tells the run again from its report, from id 1,
// with the steps the follow had shown: each step's line is printed once.
func TestRemoteFollowShowsAStepOnceAcrossARestart(t *testing.T) {
	quickReconnects(t)
	step := func(w http.ResponseWriter, seq uint64, kind, id string) {
		data, _ := json.Marshal(map[string]any{"seq": seq, "kind": kind, "run_id": fakeRunID, "step": id, "section": "steps", "status": "succeeded", "duration_ms": 2000})
		fmt.Fprintf(w, "id: %d\nevent: %s\ndata: %s\n\n", seq, kind, data)
	}
	srv := fakeRunServer(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		w.WriteHeader(http.StatusOK)
		writeEvent(t, w, 1, "run_started")
		step(w, 2, "step_started", "first")
		step(w, 3, "step_finished", "first")
		step(w, 4, "step_started", "second")
		if r.Header.Get("Last-Event-ID") == "" {
			return // the server stops
		}
		step(w, 5, "step_finished", "second") // told again, from the report
		writeEvent(t, w, 6, "run_finished")
	})
	r := runEnv(t, map[string]string{"ARSENAL_SERVER": srv.URL, "ARSENAL_API_KEY": "ak_test"}, "remote", "run", "sleeper", "--follow")
	r.want(t, ExitOK, []string{"succeeded"}, []string{"second"})
	if n := strings.Count(r.stderr, "first"); n != 1 {
		t.Errorf("the step first is shown %d times, want once:\n%s", n, r.stderr)
	}
}

// TestPlainFollowSaysWhatANotifyEntryReached: off a terminal, 'remote run
// --follow' prints of a notify entry that failed what its message
// reached, as the live view on a terminal does, not a bare failure: a
// webhook nobody got and an email two of three recipients got read
// differently in a CI log.
func TestPlainFollowSaysWhatANotifyEntryReached(t *testing.T) {
	var out strings.Builder
	v := &plainView{w: &out, runID: "r1"}
	now := time.Now()
	v.Event(engine.Event{Kind: engine.EventStepFinished, RunID: "r1", Step: "mail", Section: "notify", Status: "failed", Time: now,
		Err: "notify.email: refused: bad@example.com", Notification: &report.Notification{Sent: report.SentSome, Recipients: 2, Of: 3}})
	v.Event(engine.Event{Kind: engine.EventStepFinished, RunID: "r1", Step: "page", Section: "notify", Status: "failed", Time: now,
		Err: "notify.webhook: the endpoint answered 500", Notification: &report.Notification{Sent: report.SentNone}})
	for _, want := range []string{"notification sent to 2 of 3 recipients  notify.email", "notification not sent  notify.webhook"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("the lines lack %q:\n%s", want, out.String())
		}
	}
}

// TestPlainFollowAlignsWideStepIDs: off a terminal, a step whose id is
// in Japanese, two columns a character, has its status under the other
// steps' statuses, as the live view on a terminal has it.
func TestPlainFollowAlignsWideStepIDs(t *testing.T) {
	var out strings.Builder
	v := &plainView{w: &out, runID: "r1"}
	now := time.Now()
	for _, id := range []string{"build", "データベース確認"} {
		v.Event(engine.Event{Kind: engine.EventStepFinished, RunID: "r1", Step: id, Status: "succeeded", Time: now})
	}
	cols := []int{}
	for l := range strings.Lines(out.String()) {
		cols = append(cols, termtext.Width(l[:strings.Index(l, "succeeded")]))
	}
	if len(cols) != 2 || cols[0] != cols[1] {
		t.Errorf("the statuses start at columns %v, want one column:\n%s", cols, out.String())
	}
}

// TestPlainFollowKeepsWhatAStepsStderrEndsWith: off a terminal (a CI
// log), a shell step's error line ended "stderr ends with:" and the lines
// it announced were left out, as if the step had printed nothing; the
// line keeps them, joined, as the summary's NOTE column does.
func TestPlainFollowKeepsWhatAStepsStderrEndsWith(t *testing.T) {
	var out strings.Builder
	v := &plainView{w: &out, runID: "r1"}
	v.Event(engine.Event{Kind: engine.EventStepFinished, RunID: "r1", Step: "migrate", Status: "failed", Time: time.Now(),
		Err: "exit code 3 is not in ok_codes [0]; stderr ends with:\nERROR: relation \"users\" is locked\nhint: retry later"})
	want := `exit code 3 is not in ok_codes [0]; stderr ends with: ERROR: relation "users" is locked; hint: retry later`
	if !strings.Contains(out.String(), want) || strings.Count(out.String(), "\n") != 1 {
		t.Errorf("the step's line is\n%s\nwant one line with %q", out.String(), want)
	}
}
