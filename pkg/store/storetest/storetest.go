// Package storetest is the one suite of tests every store passes: the
// SQLite store (pkg/history) and the PostgreSQL store (pkg/store/postgres)
// run it from their own tests, each with an Opener for a new, empty store.
package storetest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"sort"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/arsenal-run/arsenal-run/pkg/history"
	"github.com/arsenal-run/arsenal-run/pkg/report"
	"github.com/arsenal-run/arsenal-run/pkg/store"
)

// Opener opens a Store on one backing store (a state dir, a database);
// each call opens another Store on the same one, as another process would.
// The Stores are closed when the test ends, unless the test closes them.
type Opener func(t *testing.T) store.Store

// NewBackend makes a new, empty backing store for a test and returns its
// Opener.
type NewBackend func(t *testing.T) Opener

// Run runs the whole suite against the backend.
func Run(t *testing.T, newBackend NewBackend) {
	for _, tc := range []struct {
		name string
		f    func(*testing.T, Opener)
	}{
		{"RecordAndRead", testRecordAndRead},
		{"RecordFinishedBatch", testRecordFinishedBatch},
		{"RecordFinishedSlot", testRecordFinishedSlot},
		{"RecordFinishedKeepsPath", testRecordFinishedKeepsPath},
		{"DryRun", testDryRun},
		{"IDPrefix", testIDPrefix},
		{"ResumedFrom", testResumedFrom},
		{"IgnoredFailure", testIgnoredFailure},
		{"SubRunSteps", testSubRunSteps},
		{"DrySubRunNotCounted", testDrySubRunNotCounted},
		{"ErrorWithNUL", testErrorWithNUL},
		{"Stats", testStats},
		{"StatsLeaveDryRuns", testStatsLeaveDryRuns},
		{"Window", testWindow},
		{"StatsLeaveInterruptedDurations", testStatsLeaveInterruptedDurations},
		{"StatsLeaveCancelledDurations", testStatsLeaveCancelledDurations},
		{"StatsLeaveNeverStartedDurations", testStatsLeaveNeverStartedDurations},
		{"OmittedAttempts", testOmittedAttempts},
		{"Prune", testPrune},
		{"PruneLeavesSlotRowsToTheirDay", testPruneSlotRows},
		{"MarkInterrupted", testMarkInterrupted},
		{"Slots", testSlots},
		{"SlotsClaimedOnceAcrossStores", testSlotsClaimedOnce},
		{"SlotBlockerStarting", testSlotBlockerStarting},
		{"SlotRowsNewestSlotFirst", testSlotRowsNewestSlotFirst},
		{"Cache", testCache},
		{"CacheSizeInBytes", testCacheSizeInBytes},
		{"Groups", testGroups},
		{"GroupOfDeadOwnerIsReleased", testGroupDeadOwner},
		{"GroupOfEndedRunIsReleased", testGroupEndedRun},
		{"GroupPlaceIsItsStores", testGroupPlaceOfAnotherStore},
		{"Reports", testReports},
	} {
		t.Run(tc.name, func(t *testing.T) { tc.f(t, newBackend(t)) })
	}
}

var ctx = context.Background()

// t0 is a fixed moment the records are made at.
var t0 = time.Date(2026, 6, 1, 10, 0, 0, 0, time.UTC)

func at(d time.Duration) *time.Time {
	t := t0.Add(d)
	return &t
}

// finished is the report of a finished run with one step per op, each
// lasting its duration.
func finished(id, playbook string, status report.Status, start time.Time, ops map[string]int64) *report.Report {
	r := &report.Report{ReportVersion: report.FormatVersion, RunID: id, Playbook: report.Playbook{Name: playbook, Path: "/pb/" + playbook + ".yaml"},
		Roles: []string{"operator"}, Inputs: map[string]any{"n": 1.0}, Status: status, StartedAt: start, Outputs: map[string]any{}}
	names := make([]string, 0, len(ops))
	for op := range ops {
		names = append(names, op)
	}
	sort.Strings(names)
	var total int64
	for i, op := range names {
		st := start.Add(time.Duration(total) * time.Millisecond)
		step := report.Step{ID: fmt.Sprintf("s%d", i), Op: op, Section: "steps", Status: report.StatusSucceeded, StartedAt: &st, DurationMS: ops[op], Attempts: 1}
		if status == report.StatusFailed && i == len(names)-1 {
			step.Status, step.Error = report.StatusFailed, &report.Error{Class: "execution", Message: "boom"}
		}
		r.Steps = append(r.Steps, step)
		total += ops[op]
	}
	r.DurationMS = total
	r.FinishedAt = start.Add(time.Duration(total) * time.Millisecond)
	if status == report.StatusFailed {
		r.Error = &report.Error{Class: "execution", Message: "step failed"}
	}
	return r
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func ids(runs []history.Run) []string {
	out := []string{}
	for _, r := range runs {
		out = append(out, r.ID)
	}
	return out
}

func testRecordAndRead(t *testing.T, open Opener) {
	s := open(t)
	slot := t0.Add(-time.Second)
	must(t, s.RecordStart(ctx, history.Run{ID: "r1", Playbook: "deploy", Path: "/pb/deploy.yaml", Roles: []string{"operator"}, StartedAt: t0,
		Trigger: history.TriggerSchedule, Slot: &slot}))
	must(t, s.RecordStep(ctx, "r1", history.StepResult{StepID: "a", Op: "control.noop", Item: -1, Attempts: 1, Status: report.StatusSucceeded, StartedAt: t0, DurationMS: 5}))
	must(t, s.RecordSteps(ctx, "r1", []history.StepResult{
		{StepID: "b", Op: "control.log", Item: 0, Attempts: 1, Status: report.StatusSucceeded, StartedAt: t0, DurationMS: 2},
		{StepID: "b", Op: "control.log", Item: 1, Attempts: 2, Status: report.StatusFailed, ErrorClass: "execution", StartedAt: t0, DurationMS: 3},
	}))
	run, err := s.Get(ctx, "r1")
	must(t, err)
	want := history.Run{ID: "r1", Playbook: "deploy", Path: "/pb/deploy.yaml", Roles: []string{"operator"}, Status: history.StatusRunning,
		StartedAt: t0, Trigger: history.TriggerSchedule, Slot: &slot}
	if diff := cmp.Diff(want, run); diff != "" {
		t.Errorf("running run (-want +got):\n%s", diff)
	}
	rows, err := s.Steps(ctx, "r1")
	must(t, err)
	var got []string
	for _, r := range rows {
		item := "-"
		if r.Item != nil {
			item = fmt.Sprint(*r.Item)
		}
		got = append(got, fmt.Sprintf("%s %s %s %d %s %s", r.StepID, r.Kind, item, r.Attempt, r.Status, r.ErrorClass))
	}
	if diff := cmp.Diff([]string{"a step - 1 succeeded ", "b item 0 1 succeeded ", "b item 1 2 failed execution"}, got); diff != "" {
		t.Errorf("live step rows, in order (-want +got):\n%s", diff)
	}

	rep := finished("r1", "deploy", report.StatusFailed, t0, map[string]int64{"control.noop": 5, "http.request": 40})
	must(t, s.RecordFinish(ctx, rep, "", ""))
	run, err = s.Get(ctx, "r1")
	must(t, err)
	fin := t0.Add(45 * time.Millisecond)
	want = history.Run{ID: "r1", Playbook: "deploy", Path: "/pb/deploy.yaml", Roles: []string{"operator"}, Status: report.StatusFailed,
		StartedAt: t0, FinishedAt: &fin, DurationMS: 45, Inputs: map[string]any{"n": 1.0}, Error: &report.Error{Class: "execution", Message: "step failed"},
		Trigger: history.TriggerSchedule, Slot: &slot}
	if diff := cmp.Diff(want, run); diff != "" {
		t.Errorf("finished run (-want +got):\n%s", diff)
	}
	rows, err = s.Steps(ctx, "r1")
	must(t, err)
	if len(rows) != 2 || rows[0].Op != "control.noop" || rows[1].Status != report.StatusFailed {
		t.Errorf("the report's rows replace the live ones; got %+v", rows)
	}

	must(t, s.RecordFinish(ctx, finished("r2", "deploy", report.StatusSucceeded, t0.Add(time.Minute), map[string]int64{"control.noop": 1}), "", ""))
	must(t, s.RecordFinish(ctx, finished("r3", "backup", report.StatusSucceeded, t0.Add(2*time.Minute), map[string]int64{"control.noop": 1}), "", ""))
	for _, tc := range []struct {
		f    history.Filter
		want []string
	}{
		{history.Filter{}, []string{"r3", "r2", "r1"}},
		{history.Filter{Playbook: "deploy"}, []string{"r2", "r1"}},
		{history.Filter{Status: report.StatusFailed}, []string{"r1"}},
		{history.Filter{Statuses: []report.Status{report.StatusFailed, report.StatusCancelled}}, []string{"r1"}},
		{history.Filter{Statuses: []report.Status{report.StatusCancelled, report.StatusSucceeded}, Playbook: "deploy"}, []string{"r2"}},
		{history.Filter{Status: report.StatusFailed, Statuses: []report.Status{report.StatusSucceeded}}, []string{"r3", "r2", "r1"}},
		{history.Filter{Trigger: history.TriggerSchedule}, []string{"r1"}},
		{history.Filter{Since: t0.Add(30 * time.Second)}, []string{"r3", "r2"}},
		{history.Filter{Before: t0.Add(2 * time.Minute)}, []string{"r2", "r1"}},
		{history.Filter{Limit: 1}, []string{"r3"}},
	} {
		list, err := s.List(ctx, tc.f)
		must(t, err)
		if diff := cmp.Diff(tc.want, ids(list)); diff != "" {
			t.Errorf("List(%+v) (-want +got):\n%s", tc.f, diff)
		}
	}
	if _, err := s.Get(ctx, "nope"); err == nil || !isNotFound(err) {
		t.Errorf("Get of an unknown run: %v, want history.ErrNotFound", err)
	}
}

func testRecordFinishedBatch(t *testing.T, open Opener) {
	s := open(t)
	var batch []history.Finished
	for i := range 5 {
		batch = append(batch, history.Finished{Report: finished(fmt.Sprintf("x%d", i), "op.exec", report.StatusSucceeded, t0.Add(time.Duration(i)*time.Second),
			map[string]int64{"control.noop": 1}), Trigger: history.TriggerAPI})
	}
	must(t, s.RecordFinished(ctx, batch))
	list, err := s.List(ctx, history.Filter{Trigger: history.TriggerAPI})
	must(t, err)
	if diff := cmp.Diff([]string{"x4", "x3", "x2", "x1", "x0"}, ids(list)); diff != "" {
		t.Errorf("batch runs by trigger (-want +got):\n%s", diff)
	}
}

// A scheduled run recorded whole, at its end (one that could not start),
// keeps its slot; recording its end again without one keeps it too.
func testRecordFinishedSlot(t *testing.T, open Opener) {
	s := open(t)
	slot := t0.Add(-time.Second)
	rep := finished("s1", "nightly", report.StatusFailed, t0, map[string]int64{})
	must(t, s.RecordFinished(ctx, []history.Finished{{Report: rep, Trigger: history.TriggerSchedule, Slot: slot}}))
	got, err := s.Get(ctx, "s1")
	must(t, err)
	if got.Slot == nil || !got.Slot.Equal(slot) || got.Trigger != history.TriggerSchedule {
		t.Errorf("recorded with slot %v and trigger %q, want %v and schedule", got.Slot, got.Trigger, slot)
	}
	must(t, s.RecordFinish(ctx, rep, "", ""))
	if got, err = s.Get(ctx, "s1"); err != nil || got.Slot == nil || !got.Slot.Equal(slot) {
		t.Errorf("recorded again without a slot: slot %v (%v), want %v kept", got.Slot, err, slot)
	}
	list, err := s.List(ctx, history.Filter{Trigger: history.TriggerSchedule})
	must(t, err)
	if len(list) != 1 || list[0].Slot == nil {
		t.Errorf("history --trigger schedule lists %v, want s1 with its slot", ids(list))
	}
}

func testStats(t *testing.T, open Opener) {
	s := open(t)
	for i := range 10 {
		st := report.StatusSucceeded
		if i == 9 {
			st = report.StatusFailed
		}
		must(t, s.RecordFinish(ctx, finished(fmt.Sprintf("r%d", i), "pb", st, t0.Add(time.Duration(i)*time.Second),
			map[string]int64{"control.noop": int64(i + 1), "http.request": int64(10 * (i + 1))}), "", ""))
	}
	must(t, s.RecordFinish(ctx, finished("old", "pb", report.StatusSucceeded, t0.Add(-time.Hour), map[string]int64{"control.noop": 1000}), "", ""))
	ops, pbs, err := s.Stats(ctx, t0, time.Time{})
	must(t, err)
	wantOps := []history.OpStats{
		{Op: "control.noop", Count: 10, Errors: 0, P50MS: 5, P95MS: 10, P99MS: 10},
		{Op: "http.request", Count: 10, Errors: 1, ErrorRate: 0.1, P50MS: 50, P95MS: 100, P99MS: 100},
	}
	if diff := cmp.Diff(wantOps, ops); diff != "" {
		t.Errorf("op stats (-want +got):\n%s", diff)
	}
	wantPbs := []history.PlaybookStats{{Playbook: "pb", Count: 10, Errors: 1, ErrorRate: 0.1, Timed: 10, P50MS: 55, P95MS: 110, P99MS: 110}}
	if diff := cmp.Diff(wantPbs, pbs); diff != "" {
		t.Errorf("playbook stats (-want +got):\n%s", diff)
	}
	res, err := s.ResourceStats(ctx, t0)
	must(t, err)
	if len(res) != 0 {
		t.Errorf("resource stats of runs without processes: %+v", res)
	}
}

func testPrune(t *testing.T, open Opener) {
	s := open(t)
	for i := range 4 {
		must(t, s.RecordFinish(ctx, finished(fmt.Sprintf("a%d", i), "a", report.StatusSucceeded, t0.Add(time.Duration(i)*time.Second), map[string]int64{"control.noop": 1}), "", ""))
	}
	must(t, s.RecordFinish(ctx, finished("b0", "b", report.StatusSucceeded, t0, map[string]int64{"control.noop": 1}), "", ""))
	must(t, s.RecordStart(ctx, history.Run{ID: "a-live", Playbook: "a", StartedAt: t0.Add(-time.Hour)}))
	_, err := s.Prune(ctx, 2, 0)
	must(t, err)
	list, err := s.List(ctx, history.Filter{})
	must(t, err)
	if diff := cmp.Diff([]string{"a3", "a2", "b0", "a-live"}, ids(list)); diff != "" {
		t.Errorf("after keeping 2 runs per playbook (-want +got):\n%s", diff)
	}
	rows, err := s.Steps(ctx, "a0")
	must(t, err)
	if len(rows) != 0 {
		t.Errorf("a pruned run kept %d step rows", len(rows))
	}
}

// testPruneSlotRows: the rows of skipped and missed slots are not runs:
// keepRuns neither counts nor deletes them, and they go with the slot
// records (PruneSlots).
func testPruneSlotRows(t *testing.T, open Opener) {
	s := open(t)
	_, err := s.TrackSchedules(ctx, t0, []history.ScheduleRef{{Playbook: "tick", Fingerprint: "@every 1s|UTC"}})
	must(t, err)
	slot := func(d time.Duration, o history.SlotOutcome) history.Slot {
		return history.Slot{Playbook: "tick", Path: "/pb/tick.yaml", Slot: t0.Add(d), Outcome: o, Message: string(o), At: t0.Add(d)}
	}
	for i := range 3 {
		must(t, s.RecordFinish(ctx, finished(fmt.Sprintf("r%d", i), "tick", report.StatusSucceeded, t0.Add(time.Duration(3*i)*time.Second), map[string]int64{"control.noop": 1}), "", ""))
		_, err := s.ClaimSlots(ctx, []history.Slot{slot(time.Duration(3*i+1)*time.Second, history.SlotSkipped), slot(time.Duration(3*i+2)*time.Second, history.SlotMissed)})
		must(t, err)
	}
	count := func() (runs, slots int) {
		list, err := s.List(ctx, history.Filter{Playbook: "tick"})
		must(t, err)
		for _, r := range list {
			if r.Status == report.StatusSkipped || r.Status == history.StatusMissed {
				slots++
			} else {
				runs++
			}
		}
		return runs, slots
	}
	if runs, slots := count(); runs != 3 || slots != 6 {
		t.Fatalf("recorded %d runs and %d slot rows, want 3 and 6", runs, slots)
	}
	_, err = s.Prune(ctx, 2, 0)
	must(t, err)
	if runs, slots := count(); runs != 2 || slots != 6 {
		t.Errorf("after keeping 2 runs: %d runs and %d slot rows, want 2 and 6", runs, slots)
	}
	_, err = s.PruneSlots(ctx, t0.Add(time.Hour))
	must(t, err)
	if runs, slots := count(); runs != 2 || slots != 0 {
		t.Errorf("after pruning the slot records: %d runs and %d slot rows, want 2 and 0", runs, slots)
	}
}

func testMarkInterrupted(t *testing.T, open Opener) {
	a, b := open(t), open(t)
	must(t, a.RecordStart(ctx, history.Run{ID: "alive", Playbook: "pb", StartedAt: t0}))
	must(t, a.RecordStep(ctx, "alive", history.StepResult{StepID: "s", Op: "control.noop", Item: -1, Attempts: 1, Status: report.StatusSucceeded, StartedAt: t0, DurationMS: 70}))
	n, err := b.MarkInterrupted(ctx)
	must(t, err)
	if n != 0 {
		t.Fatalf("MarkInterrupted marked %d runs of a live store", n)
	}
	must(t, a.Close())
	// Each store names the runs it marks, for the start-up line that
	// lists them.
	namer, ok := b.(store.InterruptNamer)
	if !ok {
		t.Fatalf("%T does not name the runs it marks interrupted", b)
	}
	ids, err := namer.MarkInterruptedIDs(ctx)
	must(t, err)
	if len(ids) != 1 || ids[0] != "alive" {
		t.Fatalf("MarkInterruptedIDs marked %v of a closed store, want [alive]", ids)
	}
	run, err := b.Get(ctx, "alive")
	must(t, err)
	if run.Status != history.StatusInterrupted || run.Error == nil || run.Error.Class != "system" || run.DurationMS != 70 {
		t.Errorf("interrupted run: status %s, error %+v, duration %d; want interrupted, class system, 70 ms (the end of its last step)", run.Status, run.Error, run.DurationMS)
	}
}

func testCache(t *testing.T, open Opener) {
	s := open(t)
	e := history.CacheEntry{Key: "k1", Op: "http.request", Playbook: "pb", Step: "get", Output: json.RawMessage(`{"status":200}`), CreatedAt: t0, ExpiresAt: t0.Add(time.Hour)}
	must(t, s.CachePut(ctx, e))
	got, ok, err := s.CacheGet(ctx, "k1", t0.Add(time.Minute))
	must(t, err)
	if !ok || string(got.Output) != `{"status":200}` || got.Op != "http.request" || !got.ExpiresAt.Equal(e.ExpiresAt) {
		t.Errorf("CacheGet = %+v, %v", got, ok)
	}
	if _, ok, _ := s.CacheGet(ctx, "k1", t0.Add(2*time.Hour)); ok {
		t.Error("an expired entry was a hit")
	}
	must(t, s.CachePut(ctx, history.CacheEntry{Key: "k2", Op: "shell.exec", Playbook: "other", Output: json.RawMessage(`{}`), CreatedAt: t0.Add(time.Second), ExpiresAt: t0.Add(time.Hour)}))
	list, err := s.CacheList(ctx, history.CacheFilter{})
	must(t, err)
	if len(list) != 2 || list[0].Key != "k2" || list[1].Size != int64(len(`{"status":200}`)) {
		t.Errorf("CacheList = %+v", list)
	}
	n, err := s.CacheClear(ctx, history.CacheFilter{Playbook: "other"})
	must(t, err)
	if n != 1 {
		t.Errorf("CacheClear by playbook removed %d, want 1", n)
	}
	must(t, s.CacheDelete(ctx, "k1"))
	if _, ok, _ := s.CacheGet(ctx, "k1", t0); ok {
		t.Error("a deleted entry was a hit")
	}
	if err := s.CachePut(ctx, history.CacheEntry{Key: "big", Output: make(json.RawMessage, history.MaxCacheOutput+1)}); err != history.ErrCacheTooLarge {
		t.Errorf("an output over the limit: %v, want ErrCacheTooLarge", err)
	}
}

func testReports(t *testing.T, open Opener) {
	a, b := open(t), open(t)
	ka, err := a.ReportKey(ctx)
	must(t, err)
	kb, err := b.ReportKey(ctx)
	must(t, err)
	if len(ka) < 16 || string(ka) != string(kb) {
		t.Errorf("two stores on one backing store have different report keys (%d and %d bytes)", len(ka), len(kb))
	}
	rep := finished("rep1", "pb", report.StatusSucceeded, t0, map[string]int64{"control.noop": 3})
	must(t, report.Sign(rep, ka))
	path := ""
	if dir := a.Reports(); dir != "" {
		path = filepath.Join(dir, rep.RunID+".json")
		must(t, report.Write(path, rep))
	}
	must(t, a.RecordFinish(ctx, rep, path, ""))
	data, err := b.ReadReport(ctx, "rep1")
	must(t, err)
	got, err := report.Verify(data, kb)
	must(t, err)
	if got.RunID != "rep1" || got.Status != report.StatusSucceeded {
		t.Errorf("the report read back: %+v", got)
	}
	if _, err := b.ReadReport(ctx, "none"); !isNotFound(err) {
		t.Errorf("ReadReport of an unknown run: %v, want history.ErrNotFound", err)
	}
	if dir := a.Reports(); dir != "" {
		for i := range 3 {
			must(t, a.RecordFinish(ctx, finished(fmt.Sprintf("later%d", i), "pb", report.StatusSucceeded, t0.Add(time.Duration(i+1)*time.Second), map[string]int64{"control.noop": 1}), "", ""))
		}
		removed, err := a.Prune(ctx, 3, 0)
		must(t, err)
		if diff := cmp.Diff([]string{path}, removed); diff != "" {
			t.Errorf("Prune removes the report file of the pruned run (-want +got):\n%s", diff)
		}
	}
}

func isNotFound(err error) bool { return errors.Is(err, history.ErrNotFound) }
