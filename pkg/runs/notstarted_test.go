package runs

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/arsenal-run/arsenal-run/pkg/report"
	"github.com/arsenal-run/arsenal-run/schema/schematest"
)

// TestRunThatCannotStartAfterWaitingIsRecordedFailed: a run that waits for
// a place and then cannot start (its env_file went away meanwhile) is
// recorded failed, with the reason; its row does not stay running.
func TestRunThatCannotStartAfterWaitingIsRecordedFailed(t *testing.T) {
	m := newManager(t, Config{StateDir: t.TempDir()}, Limits{MaxRunning: 1})
	dir := t.TempDir()
	env := filepath.Join(dir, ".env")
	if err := os.WriteFile(env, []byte("A=1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	withEnv := filepath.Join(dir, "e.yaml")
	if err := os.WriteFile(withEnv, []byte("version: 1\nname: withenv\nenv_file: .env\nsteps:\n  - {id: hi, op: control.noop}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	blocker, err := m.Start(ctx, Request{Path: writePlaybook(t, "version: 1\nname: blocker\nsteps:\n  - {id: nap, op: control.sleep, with: {duration: 300ms}}\n")})
	if err != nil {
		t.Fatal(err)
	}
	waitRunning(t, blocker)
	h, err := m.Start(ctx, Request{Path: withEnv})
	if err != nil {
		t.Fatal(err)
	}
	os.Remove(env) // while the run waits for the place the blocker holds
	wctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	rep, werr := h.Wait(wctx)
	if werr == nil || rep == nil || rep.Status != report.StatusFailed {
		t.Fatalf("the run ended with %v, %v; want a failed report and the error", rep, werr)
	}
	row, err := m.Service().History().Get(ctx, h.ID())
	if err != nil || row.Status != report.StatusFailed || row.Error == nil || !strings.Contains(row.Error.Message, ".env") {
		t.Errorf("history says %s (%+v), %v; want failed, naming the env_file", row.Status, row.Error, err)
	}
}

// TestRequeuedRunIsNotRecordedAtShutdown: under Request.Requeue, a run
// still waiting for a place when the service shuts down ends with
// ErrShuttingDown and leaves no history, for its caller's queue to give
// to another process; without it, the run is recorded cancelled.
func TestRequeuedRunIsNotRecordedAtShutdown(t *testing.T) {
	for _, requeue := range []bool{true, false} {
		svc, err := NewService(Config{Registry: newRegistry(t), StateDir: t.TempDir()})
		if err != nil {
			t.Fatal(err)
		}
		m := NewManager(svc, Limits{MaxRunning: 1})
		ctx := context.Background()
		blocker, err := m.Start(ctx, Request{Path: writePlaybook(t, "version: 1\nname: blocker\nsteps:\n  - {id: nap, op: control.sleep, with: {duration: 1h}}\n")})
		if err != nil {
			t.Fatal(err)
		}
		waitRunning(t, blocker)
		h, err := m.Start(ctx, Request{Path: writePlaybook(t, "version: 1\nname: waiter\nsteps:\n  - {id: a, op: control.noop}\n"), Requeue: requeue})
		if err != nil {
			t.Fatal(err)
		}
		now, cancel := context.WithCancel(ctx)
		cancel()
		m.Shutdown(now)
		rep, werr := h.Wait(ctx)
		row, gerr := svc.History().Get(ctx, h.ID())
		switch {
		case requeue && (!errors.Is(werr, ErrShuttingDown) || rep != nil || gerr == nil):
			t.Errorf("requeued: ended %v, %v, history %s %v; want ErrShuttingDown and no record", rep, werr, row.Status, gerr)
		case !requeue && (werr != nil || gerr != nil || row.Status != report.StatusCancelled):
			t.Errorf("not requeued: ended %v, history %s %v; want recorded cancelled", werr, row.Status, gerr)
		}
		svc.Close()
	}
}

// refusable is a playbook with steps in every section, a secret input and
// an input that quotes it; %s is its concurrency line.
const refusable = `version: 1
name: refusable
%s
inputs:
  token: {type: string, secret: true}
  note: {type: string, default: none}
  nap: {type: string, default: 1ms}
steps:
  - id: work
    op: control.sleep
    with: {duration: "${{ inputs.nap }}"}
    rescue:
      - {id: mend, op: control.noop}
  - {id: after, op: control.noop, needs: [work]}
on_failure:
  - {id: alert, op: control.noop}
on_cancel:
  - {id: undo, op: control.noop}
finally:
  - {id: tidy, op: control.noop}
`

const refusableToken = "tok-5ecr3t-991"

// refusableInputs are the inputs of the runs that do not start.
var refusableInputs = map[string]string{"token": refusableToken, "note": "deploy with " + refusableToken}

// checkNotStarted checks the report a run that never started wrote to
// path: it matches the published schema, lists every step of refusable
// skipped with reason, and shows the inputs masked as the engine masks
// them; its events follow the grammar.
func checkNotStarted(t *testing.T, h *Handle, path string, status report.Status, class, reason string) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	matchesSchema(t, data)
	if strings.Contains(string(data), refusableToken) {
		t.Errorf("the report shows the secret input:\n%s", data)
	}
	var rep report.Report
	if err := json.Unmarshal(data, &rep); err != nil {
		t.Fatal(err)
	}
	if rep.Status != status || rep.Error == nil || rep.Error.Class != class {
		t.Errorf("the run ended %s with %+v; want %s, class %s", rep.Status, rep.Error, status, class)
	}
	type step struct{ ID, Section, Status, Reason, RescueOf string }
	var got []step
	for _, s := range rep.Steps {
		got = append(got, step{s.ID, s.Section, string(s.Status), s.Reason, s.RescueOf})
	}
	skipped := func(id, section, of string) step { return step{id, section, "skipped", reason, of} }
	want := []step{
		skipped("work", "steps", ""), skipped("mend", "rescue", "work"), skipped("after", "steps", ""),
		skipped("alert", "on_failure", ""), skipped("undo", "on_cancel", ""), skipped("tidy", "finally", ""),
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("steps (-want +got):\n%s", diff)
	}
	wantInputs := map[string]any{"token": "***", "note": "deploy with ***", "nap": "1ms"}
	if diff := cmp.Diff(wantInputs, rep.Inputs); diff != "" {
		t.Errorf("inputs (-want +got):\n%s", diff)
	}
	outcomes := checkGrammar(t, collect(t, h))
	if len(outcomes) != len(want) {
		t.Errorf("events of %d steps, want %d: %v", len(outcomes), len(want), outcomes)
	}
}

// matchesSchema checks a report file against schema/report.schema.json.
func matchesSchema(t *testing.T, data []byte) {
	t.Helper()
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	if err := schematest.Compile(t, "report").Validate(doc); err != nil {
		t.Errorf("the report does not match schema/report.schema.json: %#v", err)
	}
}

// TestRunsThatNeverStartedReportEveryStep: a run refused by its
// concurrency group (policy skip), one cancelled while it waits for its
// group (policy queue) and one cancelled while it waits for a run slot
// write reports that match the schema, list every step skipped with why,
// and show their inputs, secrets masked.
func TestRunsThatNeverStartedReportEveryStep(t *testing.T) {
	ctx := context.Background()
	m := newManager(t, Config{StateDir: t.TempDir()}, Limits{})
	dir := t.TempDir()
	queue := writePlaybook(t, fmt.Sprintf(refusable, "concurrency: {group: g1, policy: queue}"))
	blocker, err := m.Start(ctx, Request{Path: queue, InputText: map[string]string{"token": "other", "nap": "1h"}})
	if err != nil {
		t.Fatal(err)
	}
	waitRunning(t, blocker)
	defer func() {
		blocker.Cancel(nil)
		wait(t, blocker)
	}()

	t.Run("skip", func(t *testing.T) {
		path := filepath.Join(dir, "skip.json")
		h, err := m.Start(ctx, Request{Path: writePlaybook(t, fmt.Sprintf(refusable, "concurrency: {group: g1, policy: skip}")),
			InputText: refusableInputs, Sinks: Sinks{Report: path}})
		if err != nil {
			t.Fatal(err)
		}
		wait(t, h)
		checkNotStarted(t, h, path, report.StatusCancelled, "cancelled",
			fmt.Sprintf(`not run: concurrency group "g1" is busy with run %s (policy skip)`, blocker.ID()))
	})

	t.Run("queue cancelled", func(t *testing.T) {
		path := filepath.Join(dir, "queue.json")
		var said notices
		h, err := m.Start(ctx, Request{Path: queue, InputText: refusableInputs, Sinks: Sinks{Report: path}, Notice: said.add})
		if err != nil {
			t.Fatal(err)
		}
		deadline := time.Now().Add(20 * time.Second)
		for !strings.Contains(said.String(), "waiting for concurrency group") {
			if time.Now().After(deadline) {
				t.Fatal("the run never waited for its group")
			}
			time.Sleep(10 * time.Millisecond)
		}
		h.Cancel(nil)
		wait(t, h)
		checkNotStarted(t, h, path, report.StatusCancelled, "cancelled", `not run: cancelled while waiting for concurrency group "g1"`)
	})

	t.Run("slot cancelled", func(t *testing.T) {
		one := newManager(t, Config{StateDir: t.TempDir()}, Limits{MaxRunning: 1})
		free := writePlaybook(t, fmt.Sprintf(refusable, ""))
		holder, err := one.Start(ctx, Request{Path: free, InputText: map[string]string{"token": "other", "nap": "1h"}})
		if err != nil {
			t.Fatal(err)
		}
		waitRunning(t, holder)
		path := filepath.Join(dir, "slot.json")
		h, err := one.Start(ctx, Request{Path: free, InputText: refusableInputs, Sinks: Sinks{Report: path}})
		if err != nil {
			t.Fatal(err)
		}
		h.Cancel(nil)
		wait(t, h)
		checkNotStarted(t, h, path, report.StatusCancelled, "cancelled", "not run: cancelled while waiting for a run slot")
		holder.Cancel(nil)
		wait(t, holder)
	})
}

// TestDeniedRunReportsItsInputsMasked: the report of a run that preflight
// refused shows the run's inputs, secrets masked, as any report does.
func TestDeniedRunReportsItsInputsMasked(t *testing.T) {
	m := newManager(t, Config{}, Limits{})
	path := filepath.Join(t.TempDir(), "denied.json")
	h, err := m.Start(context.Background(), Request{Path: writePlaybook(t, `version: 1
name: denied
inputs:
  token: {type: string, secret: true}
  note: {type: string}
steps:
  - {id: act, op: shell.exec, with: {command: ["true"]}}
`), InputText: refusableInputs, Caller: Caller{Roles: []string{"viewer"}}, Sinks: Sinks{Report: path}})
	if err != nil {
		t.Fatal(err)
	}
	wait(t, h)
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	matchesSchema(t, data)
	var rep report.Report
	if err := json.Unmarshal(data, &rep); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(data), refusableToken) {
		t.Errorf("the report shows the secret input:\n%s", data)
	}
	if diff := cmp.Diff(map[string]any{"token": "***", "note": "deploy with ***"}, rep.Inputs); diff != "" {
		t.Errorf("inputs (-want +got):\n%s", diff)
	}
}
