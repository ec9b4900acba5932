package console

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/arsenal-run/arsenal-run/pkg/history"
)

// TestSlotPageSaysWhatTheSlotWas: a scheduled slot that did not run
// (skipped, missed), opened as a run (the runs list and the playbooks
// page link it), says what it was: its slot in the schedule's zone, why
// it did not run, the run it was skipped behind, and where its schedule
// is; not a run's page with no steps, no timeline, an error of no class
// and "Run again" for inputs it never had.
func TestSlotPageSaysWhatTheSlotWas(t *testing.T) {
	b := browser(t, 3*time.Minute)
	s := startSite(t, schedulePlaybooks)
	skipped, missed := claimSlotsNotRun(t, s)
	blocker := skipped.BlockedBy
	idOf := func(status string) string {
		code, m := s.api("oncall", "GET", "/api/v1/runs?status="+status, nil)
		runs, _ := m["runs"].([]any)
		if code != 200 || len(runs) != 1 {
			t.Fatalf("the %s slot's row: %d %v", status, code, m)
		}
		return runs[0].(map[string]any)["id"].(string)
	}
	ctx := tab(t, b)
	s.signIn(t, ctx, "oncall")
	for _, c := range []struct {
		status, why, behind string
		at                  time.Time
	}{{"skipped", skipped.Message, blocker, skipped.Slot}, {"missed", missed.Message, "", missed.Slot}} {
		id := idOf(c.status)
		do(t, ctx, "open the "+c.status+" slot", chromedp.Navigate(s.url+"/runs/"+id), chromedp.WaitVisible(chromedp.CSS("#main .slot-what")))
		waitFor(t, ctx, "the slot's time", `!!document.querySelector('#main dd.slot time')`)
		got := eval[string](t, ctx, `(() => { const m = document.getElementById('main');
			const q = (sel) => { const e = m.querySelector(sel); return e ? e.textContent : '(none)'; };
			const b = m.querySelector('dd.blocked-by a');
			return [q('h1 .run-status'), q('.slot-what'), m.querySelector('dd.slot time').getAttribute('datetime'), q('dd.slot'), q('dd.slot-why'),
				b ? b.getAttribute('href') : '(no link)', !!m.querySelector('a[href="/schedules"]'),
				[...m.querySelectorAll('h2')].map((e) => e.textContent).join(','), !!m.querySelector('.error'),
				[...m.querySelectorAll('a')].some((a) => a.textContent.includes('Run again'))].join(' | '); })()`)
		zoned := eval[string](t, ctx, `new Date(`+jsString(c.at.Format(time.RFC3339))+`).toLocaleString([], { month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit', timeZoneName: 'short', timeZone: 'Europe/Berlin' })`)
		link := "(no link)"
		if c.behind != "" {
			link = "/runs/" + c.behind
		}
		want := strings.Join([]string{" " + c.status, "This slot of the schedule of nightly was " + c.status + ": no run started for it.",
			c.at.Format("2006-01-02T15:04:05.000Z"), zoned, c.why, link, "true", "", "false", "false"}, " | ")
		if !strings.HasSuffix(got, strings.TrimPrefix(want, " "+c.status)) || !strings.Contains(got, c.status+" | ") {
			t.Errorf("the %s slot's page:\n got %s\nwant %s", c.status, got, want)
		}
	}
}

// TestFailedSlotSaysItDidNotStart: a slot whose run could not be started
// (the run service refused it, its playbook could not be read) is
// recorded failed, of error class system, with no steps: its page says
// that the slot failed to start, its slot in the schedule's zone and why,
// not a failed run of no steps with an empty timeline and "Run again";
// the runs list shows its slot and why under its playbook, in the same
// zone, named, as the skipped and missed slots beside it, whatever the
// browser's zone.
func TestFailedSlotSaysItDidNotStart(t *testing.T) {
	b := browser(t, 3*time.Minute)
	s := startSite(t, schedulePlaybooks)
	skipped, _ := claimSlotsNotRun(t, s)
	failed := history.Slot{Playbook: "nightly", Path: "nightly.yaml", Slot: skipped.Slot.Add(2 * time.Hour), Outcome: history.SlotFired, At: skipped.Slot.Add(2 * time.Hour)}
	store := s.mgr.Service().History()
	if claimed, err := store.ClaimSlots(context.Background(), []history.Slot{failed}); err != nil || !claimed[0] {
		t.Fatal("claim the slot: ", claimed, err)
	}
	failed.Outcome = history.SlotFailed
	failed.Message = "the run could not be started: too many runs are waiting; try again later (8 running, 0 waiting)"
	if err := store.SettleSlot(context.Background(), failed); err != nil {
		t.Fatal(err)
	}
	code, m := s.api("oncall", "GET", "/api/v1/runs?status=failed", nil)
	runs, _ := m["runs"].([]any)
	if code != 200 || len(runs) != 1 {
		t.Fatalf("the failed slot's row: %d %v", code, m)
	}
	id := runs[0].(map[string]any)["id"].(string)
	ctx := tab(t, b)
	berlin := func(at time.Time) string {
		t.Helper()
		return eval[string](t, ctx, `new Date(`+jsString(at.Format(time.RFC3339))+`).toLocaleString([], { month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit', timeZoneName: 'short', timeZone: 'Europe/Berlin' })`)
	}
	s.signIn(t, ctx, "oncall")

	do(t, ctx, "open the failed slot", chromedp.Navigate(s.url+"/runs/"+id), chromedp.WaitVisible(chromedp.CSS("#main .slot-what")))
	waitFor(t, ctx, "the slot's time", `!!document.querySelector('#main dd.slot time')`)
	got := eval[string](t, ctx, `(() => { const m = document.getElementById('main');
		const q = (sel) => { const e = m.querySelector(sel); return e ? e.textContent : '(none)'; };
		return [q('h1 .run-status'), q('.slot-what'), q('dd.slot'), q('dd.slot-why'), !!m.querySelector('a[href="/schedules"]'),
			[...m.querySelectorAll('h2')].length, [...m.querySelectorAll('a, button')].some((a) => a.textContent.includes('Run again'))].join(' | '); })()`)
	want := strings.Join([]string{"✗ failed", "This slot of the schedule of nightly failed to start: no run started for it.",
		berlin(failed.Slot), failed.Message, "true", "0", "false"}, " | ")
	if got != want {
		t.Errorf("the failed slot's page:\n got %s\nwant %s", got, want)
	}

	// The runs list says under its playbook its slot and why, as for the
	// skipped and missed slots beside it.
	do(t, ctx, "open the runs", chromedp.Navigate(s.url+"/runs"))
	waitFor(t, ctx, "the failed slot's row", `!!document.querySelector('#runs-list tbody tr[data-status=failed]')`)
	got = eval[string](t, ctx, `(() => { const w = document.querySelector('#runs-list tbody tr[data-status=failed] .slot-why'); return w ? w.textContent : '(none)'; })()`)
	if want := ": " + failed.Message; !strings.HasPrefix(got, "slot ") || !strings.HasSuffix(got, want) {
		t.Errorf("the failed slot's row:\n got %s\nwant %s", got, want)
	}
}

// TestRunsListSlotsInScheduleZone: the runs list shows the slot of each
// scheduled slot that did not run as the slot's page and Schedules do: in
// the schedule's zone, named, not in the browser's (here UTC).
func TestRunsListSlotsInScheduleZone(t *testing.T) {
	b := browser(t, 3*time.Minute)
	s := startSite(t, schedulePlaybooks)
	skipped, missed := claimSlotsNotRun(t, s)
	ctx := tab(t, b)
	s.signIn(t, ctx, "oncall")
	do(t, ctx, "open the runs", chromedp.Navigate(s.url+"/runs"))
	waitFor(t, ctx, "the two slots", `document.querySelectorAll('#runs-list tbody tr .slot-why time').length === 2`)
	got := eval[string](t, ctx, `[...document.querySelectorAll('#runs-list tbody tr')].map((r) => r.dataset.status + ': ' + r.querySelector('.slot-why time').textContent).join(' | ')`)
	berlin := func(at time.Time) string {
		t.Helper()
		return eval[string](t, ctx, `new Date(`+jsString(at.Format(time.RFC3339))+`).toLocaleString([], { month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit', timeZoneName: 'short', timeZone: 'Europe/Berlin' })`)
	}
	if want := "missed: " + berlin(missed.Slot) + " | skipped: " + berlin(skipped.Slot); got != want {
		t.Errorf("the runs list's slots:\n got %s\nwant %s", got, want)
	}
}

// TestRunsListSlotsNotRunHaveNoDuration: a scheduled slot that never
// became a run (skipped, missed) has no duration in the runs list, as a
// queued run has none: a dash, not the 0 ms of its history row, which
// reads as a run that ran and ended at once.
func TestRunsListSlotsNotRunHaveNoDuration(t *testing.T) {
	b := browser(t, 3*time.Minute)
	s := startSite(t, schedulePlaybooks)
	claimSlotsNotRun(t, s)
	ctx := tab(t, b)
	s.signIn(t, ctx, "oncall")
	do(t, ctx, "open the runs", chromedp.Navigate(s.url+"/runs"))
	waitFor(t, ctx, "the two slots", `document.querySelectorAll('#runs-list tbody tr .slot-why').length === 2`)
	got := eval[string](t, ctx, `[...document.querySelectorAll('#runs-list tbody tr')].map((r) => r.dataset.status + ': ' + r.querySelector('td[data-label=Duration]').textContent).join(' | ')`)
	if want := "missed: — | skipped: —"; got != want {
		t.Errorf("the slots' durations:\n got %s\nwant %s", got, want)
	}
}
