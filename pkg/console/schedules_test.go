package console

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/arsenal-run/arsenal-run/pkg/history"
)

// The playbooks of the schedule tests: a schedule whose step writes, so
// that a viewer may not pause it.
var schedulePlaybooks = map[string]string{
	"nightly": `version: 1
name: nightly
description: Tidy the cache every night
schedule: {cron: "30 2 * * *", timezone: Europe/Berlin}
steps:
  - {id: clean, op: shell.exec, with: {command: ["true"]}}
`,
}

// TestSchedulePauseRefused: the list of schedules says who may pause
// each, so a viewer's Pause is disabled from the start, with why as its
// title and beside it, also once the list is drawn again and shows
// Resume. An operator's buttons are not affected.
func TestSchedulePauseRefused(t *testing.T) {
	b := browser(t, 3*time.Minute)
	s := startSite(t, schedulePlaybooks)
	viewer := tab(t, b)
	s.signIn(t, viewer, "auditor")
	row := `#schedules tr[data-schedule=nightly] `
	do(t, viewer, "open the schedules", chromedp.Navigate(s.url+"/schedules"), chromedp.WaitVisible(chromedp.CSS(row+"button[data-action=pause]")))
	const why = "your roles may not run nightly, so they may not pause or resume its schedule"
	button := `(() => { const b = document.querySelector('` + row + `button'); return [b.dataset.action, b.disabled, b.title,
		document.getElementById(b.getAttribute('aria-describedby')).textContent].join(' | '); })()`
	if got, want := eval[string](t, viewer, button), "pause | true | "+why+" | Not allowed: "+why; got != want {
		t.Errorf("the viewer's Pause:\n got %q\nwant %q", got, want)
	}

	// Paused by someone who may: the list, drawn again, shows Resume,
	// which the same rule keeps from the viewer.
	if code, m := s.api("alice", "POST", "/api/v1/schedules/nightly/pause", nil); code != 200 {
		t.Fatalf("pause as alice: %d %v", code, m)
	}
	waitFor(t, viewer, "the list to show Resume", `!!document.querySelector('`+row+`button[data-action=resume]')`)
	if got, want := eval[string](t, viewer, button), "resume | true | "+why+" | Not allowed: "+why; got != want {
		t.Errorf("after the refresh:\n got %q\nwant %q", got, want)
	}

	operator := tab(t, b)
	s.signIn(t, operator, "oncall")
	do(t, operator, "open the schedules", chromedp.Navigate(s.url+"/schedules"), chromedp.WaitVisible(chromedp.CSS(row+"button[data-action=resume]")))
	do(t, operator, "press Resume", chromedp.Click(chromedp.CSS(row+"button[data-action=resume]")))
	waitFor(t, operator, "Pause, enabled", `(() => { const b = document.querySelector('`+row+`button[data-action=pause]'); return b && !b.disabled && !b.title; })()`)
}

// TestScheduleLastSlotsReadBesideTheNext: a schedule's last slots are
// shown in its time zone, named, as its next fire times are, not in the
// browser's; a slot skipped behind a run still starting, whose message
// names that run only by its slot, links to the run once it is known.
func TestScheduleLastSlotsReadBesideTheNext(t *testing.T) {
	b := browser(t, 3*time.Minute)
	s := startSite(t, schedulePlaybooks)
	slot := time.Now().UTC().Truncate(time.Hour).Add(-time.Hour)
	const blocker = "20260101T000000-0123456789abcdef0123456789abcdef"
	sl := history.Slot{Playbook: "nightly", Path: "nightly.yaml", Slot: slot, Outcome: history.SlotSkipped, At: slot, BlockerStarting: true,
		Message: "skipped: the run of the slot of " + slot.Add(-time.Hour).Format(time.RFC3339) + " was still starting (overlap: skip)"}
	store := s.mgr.Service().History()
	if _, err := store.ClaimSlots(context.Background(), []history.Slot{sl}); err != nil {
		t.Fatal(err)
	}
	sl.BlockedBy = blocker
	if err := store.SettleSlot(context.Background(), sl); err != nil {
		t.Fatal(err)
	}
	tb := tab(t, b)
	s.signIn(t, tb, "oncall")
	item := `#schedules tr[data-schedule=nightly] ul.slots li`
	do(t, tb, "open the schedules", chromedp.Navigate(s.url+"/schedules"), chromedp.WaitVisible(chromedp.CSS(item)))
	// What the page shows the slot as, and what it shows for that time in
	// the schedule's zone, as the next fire times are shown.
	got := eval[string](t, tb, `document.querySelector('`+item+` time').textContent`)
	want := eval[string](t, tb, `new Date(`+jsString(slot.Format(time.RFC3339))+`).toLocaleString([], { month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit', timeZoneName: 'short', timeZone: 'Europe/Berlin' })`)
	if got != want {
		t.Errorf("the last slot shows as %q; want %q, in the schedule's zone as the next fire times", got, want)
	}
	link := eval[string](t, tb, `(() => { const a = document.querySelector('`+item+` a[href="/runs/`+blocker+`"]'); return a ? a.textContent : ''; })()`)
	if link != blocker {
		t.Errorf("the skipped slot links to the run it was skipped behind as %q; want %q", link, blocker)
	}
}

// TestSchedulePauseKeepsTheFocus presses Pause and Resume with the
// keyboard: the button is drawn again under its other name, and the focus
// is on it, not dropped to the page's body, from where a keyboard or
// screen reader user would start again at the top. So too when the list,
// refreshing itself, shows the schedule paused by someone else under the
// focus, and when the server refuses a pause (the policy changed since
// the list was read) and both buttons are disabled: the focus goes to the
// row's link.
func TestSchedulePauseKeepsTheFocus(t *testing.T) {
	b := browser(t, 4*time.Minute)
	s := startSite(t, schedulePlaybooks)
	ctx := tab(t, b)
	s.signIn(t, ctx, "oncall")
	row := `#schedules tr[data-schedule=nightly] `
	do(t, ctx, "open the schedules", chromedp.Navigate(s.url+"/schedules"), chromedp.WaitVisible(chromedp.CSS(row+"button[data-action=pause]")))

	do(t, ctx, "press Pause with Enter", chromedp.Focus(chromedp.CSS(row+"button[data-action=pause]")), chromedp.KeyEvent(kb.Enter))
	waitFor(t, ctx, "Resume", `!!document.querySelector('`+row+`button[data-action=resume]:not([disabled]):not([aria-disabled])')`)
	if got := eval[string](t, ctx, focused); got != "BUTTON Resume" {
		t.Errorf("after Pause the focus is on %q, not Resume", got)
	}
	do(t, ctx, "press Resume with Enter", chromedp.KeyEvent(kb.Enter))
	waitFor(t, ctx, "Pause", `!!document.querySelector('`+row+`button[data-action=pause]:not([disabled]):not([aria-disabled])')`)
	if got := eval[string](t, ctx, focused); got != "BUTTON Pause" {
		t.Errorf("after Resume the focus is on %q, not Pause", got)
	}

	// Paused by someone else: the list's own refresh turns the focused
	// Pause into Resume.
	if code, m := s.api("alice", "POST", "/api/v1/schedules/nightly/pause", nil); code != 200 {
		t.Fatalf("pause as alice: %d %v", code, m)
	}
	waitFor(t, ctx, "the refresh to show Resume", `!!document.querySelector('`+row+`button[data-action=resume]')`)
	if got := eval[string](t, ctx, focused); got != "BUTTON Resume" {
		t.Errorf("after the refresh the focus is on %q, not Resume", got)
	}

	// The policy changes under the page: the page's reads of the list
	// are held until the server has refused the resume, so that the
	// button is still enabled when it is pressed.
	do(t, ctx, "hold the list's reads", chromedp.Evaluate[chromedp.Void](`(() => {
		const real = window.fetch;
		let release;
		const held = new Promise((r) => { release = r; });
		window.__release = release;
		window.fetch = async (input, opts) => {
			if (opts && opts.method === 'POST') {
				const res = await real(input, opts);
				window.__answered = res.status;
				return res;
			}
			if (new URL(String(input), location.href).pathname === '/api/v1/schedules') await held;
			return real(input, opts);
		};
	})()`))
	s.usePolicy(t, t.TempDir(), "version: 1\nroles:\n  admin: {max_risk: destructive}\n  operator: {max_risk: read}\n  viewer: {max_risk: read}\n")
	do(t, ctx, "press Resume with Enter", chromedp.KeyEvent(kb.Enter))
	waitFor(t, ctx, "the refusal", `window.__answered === 403`)
	do(t, ctx, "let the list be read", chromedp.Evaluate[chromedp.Void](`window.__release()`))
	waitFor(t, ctx, "Resume, disabled, and why", `!!document.querySelector('`+row+`button[data-action=resume][disabled]') && !!document.querySelector('#main .error[role=alert]')`)
	if got := eval[string](t, ctx, focused); got != "A nightly" {
		t.Errorf("after the refusal the focus is on %q, not the row's link", got)
	}
}

// TestRunsListSaysWhyASlotDidNotRun: a scheduled slot that did not run
// (skipped, missed) is a row of the runs list, and the row says its slot,
// in the browser's time as the list's other times, and why it did not
// run; one skipped behind a run still going links to that run.
func TestRunsListSaysWhyASlotDidNotRun(t *testing.T) {
	b := browser(t, 2*time.Minute)
	s := startSite(t, schedulePlaybooks)
	skipped, missed := claimSlotsNotRun(t, s)
	slot, blocker := skipped.Slot, skipped.BlockedBy
	ctx := tab(t, b)
	s.signIn(t, ctx, "oncall")
	do(t, ctx, "open the runs", chromedp.Navigate(s.url+"/runs"), chromedp.WaitVisible(chromedp.CSS("#runs-list tr[data-status=missed]")))
	row := func(status string) string {
		return eval[string](t, ctx, `(() => { const r = document.querySelector('#runs-list tr[data-status=`+status+`] .slot-why');
			if (!r) return '(nothing)';
			const l = r.querySelector('a');
			const tm = r.querySelector('time');
			return [tm.getAttribute('datetime'), r.textContent.replace(tm.textContent, 'TIME'), l ? l.getAttribute('href') : '(no link)'].join(' | '); })()`)
	}
	at := func(t time.Time) string { return t.Format("2006-01-02T15:04:05.000Z") }
	if got, want := row("skipped"), at(slot)+" | slot TIME: "+skipped.Message+"behind run "+blocker+" | /runs/"+blocker; got != want {
		t.Errorf("the skipped slot's row:\n got %s\nwant %s", got, want)
	}
	if got, want := row("missed"), at(missed.Slot)+" | slot TIME: "+missed.Message+" | (no link)"; got != want {
		t.Errorf("the missed slot's row:\n got %s\nwant %s", got, want)
	}
}

// TestPlaybooksNextRunOfAPausedSchedule: a paused schedule's next fire
// time is skipped, so the playbooks page and the playbook's page show it
// as skipped while paused, and by whom, not as a run to come; a schedule
// that is not paused shows its next run alone.
func TestPlaybooksNextRunOfAPausedSchedule(t *testing.T) {
	b := browser(t, 3*time.Minute)
	s := startSite(t, map[string]string{"nightly": schedulePlaybooks["nightly"],
		"weekly": `version: 1
name: weekly
schedule: {cron: "0 4 * * 1"}
steps:
  - {id: noop, op: control.noop}
`})
	if code, m := s.api("alice", "POST", "/api/v1/schedules/nightly/pause", nil); code != 200 {
		t.Fatalf("pause as alice: %d %v", code, m)
	}
	ctx := tab(t, b)
	s.signIn(t, ctx, "oncall")
	next := func(card string) string {
		return `(() => { const dt = [...document.querySelectorAll('` + card + ` dt')].find(dt => dt.textContent === 'Next run');
			return dt ? dt.nextElementSibling.textContent : 'no next run'; })()`
	}
	do(t, ctx, "open the playbooks", chromedp.Navigate(s.url+"/playbooks"))
	waitFor(t, ctx, "the pause", next(`li.playbook[data-playbook=nightly]`)+`.includes('paused')`)
	if got := eval[string](t, ctx, next(`li.playbook[data-playbook=nightly]`)); !strings.HasPrefix(got, "skipped while paused:") || !strings.Contains(got, "paused by alice since") {
		t.Errorf("nightly's next run on the playbooks page: %q", got)
	}
	if got := eval[string](t, ctx, next(`li.playbook[data-playbook=weekly]`)); strings.Contains(got, "paused") || got == "no next run" {
		t.Errorf("weekly's next run on the playbooks page: %q", got)
	}
	do(t, ctx, "open nightly", chromedp.Navigate(s.url+"/playbooks/nightly"), chromedp.WaitVisible(chromedp.ID("start")))
	waitFor(t, ctx, "the pause", next(`main`)+`.includes('paused')`)
	if got := eval[string](t, ctx, next(`main`)); !strings.HasPrefix(got, "skipped while paused:") || !strings.Contains(got, "paused by alice since") {
		t.Errorf("nightly's next run on its page: %q", got)
	}
}

// TestSchedulePauseErrorGoesOnSuccess: a pause that failed for a reason
// other than a refusal (here a 500) says why under the heading, and a
// later pause that succeeds takes that away: the error no longer holds.
func TestSchedulePauseErrorGoesOnSuccess(t *testing.T) {
	b := browser(t, 3*time.Minute)
	s := startSite(t, schedulePlaybooks)
	ctx := tab(t, b)
	s.signIn(t, ctx, "oncall")
	row := `#schedules tr[data-schedule=nightly] `
	do(t, ctx, "open the schedules", chromedp.Navigate(s.url+"/schedules"), chromedp.WaitVisible(chromedp.CSS(row+"button[data-action=pause]")))
	// The first POST fails as a server in trouble answers; the next ones
	// reach the server.
	do(t, ctx, "fail the first pause", chromedp.Evaluate[chromedp.Void](`(() => {
		const real = window.fetch;
		let failed = false;
		window.fetch = (input, opts) => {
			if (opts && opts.method === 'POST' && !failed) {
				failed = true;
				return Promise.resolve(new Response(JSON.stringify({ error: { class: 'internal', message: 'the state dir could not be written' } }),
					{ status: 500, headers: { 'Content-Type': 'application/json' } }));
			}
			return real(input, opts);
		};
	})()`))
	do(t, ctx, "press Pause", chromedp.Click(chromedp.CSS(row+"button[data-action=pause]")))
	waitFor(t, ctx, "the error", `[...document.querySelectorAll('#main .error[role=alert]')].some((e) => e.textContent.includes('could not be written'))`)
	do(t, ctx, "press Pause again", chromedp.Click(chromedp.CSS(row+"button[data-action=pause]:not([aria-disabled])")))
	waitFor(t, ctx, "Resume", `!!document.querySelector('`+row+`button[data-action=resume]:not([aria-disabled])')`)
	if got := eval[string](t, ctx, `[...document.querySelectorAll('#main .error')].map((e) => e.textContent).join(' / ')`); got != "" {
		t.Errorf("after a pause that succeeded the page still shows: %q", got)
	}
}

// TestScheduleTimesInTheSchedulesZone: the times of a schedule read alike
// wherever the console shows them: its next run on the playbooks page and
// on the playbook's page, and since when it is paused there and on the
// schedules page, are in the schedule's zone, named, with their date, as
// the schedules page shows its fire times; not in the browser's zone
// without a date or a zone.
func TestScheduleTimesInTheSchedulesZone(t *testing.T) {
	b := browser(t, 3*time.Minute)
	s := startSite(t, schedulePlaybooks)
	code, m := s.api("alice", "POST", "/api/v1/schedules/nightly/pause", nil)
	if code != 200 {
		t.Fatalf("pause as alice: %d %v", code, m)
	}
	at := m["paused"].(map[string]any)["at"].(string)
	_, pb := s.api("alice", "GET", "/api/v1/playbooks/nightly", nil)
	next := pb["next_run"].(string)
	ctx := tab(t, b)
	s.signIn(t, ctx, "oncall")
	zoned := func(iso string) string {
		return eval[string](t, ctx, `new Date(`+jsString(iso)+`).toLocaleString([], { month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit', timeZoneName: 'short', timeZone: 'Europe/Berlin' })`)
	}
	times := func(where string) string {
		return eval[string](t, ctx, `[...document.querySelectorAll('`+where+` time')].map((e) => e.getAttribute('datetime').slice(0, 16) + ' ' + e.textContent).sort().join(' | ')`)
	}
	iso := func(s string) string {
		tm, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			t.Fatal(err)
		}
		return tm.UTC().Format("2006-01-02T15:04")
	}
	want := []string{iso(at) + " " + zoned(at), iso(next) + " " + zoned(next)}
	if want[1] < want[0] {
		want[0], want[1] = want[1], want[0]
	}

	do(t, ctx, "open the playbooks", chromedp.Navigate(s.url+"/playbooks"))
	card := `li.playbook[data-playbook=nightly] .next-run`
	waitFor(t, ctx, "the pause", `!!document.querySelector('`+card+` .paused')`)
	if got := times(card); got != strings.Join(want, " | ") {
		t.Errorf("the next run on the playbooks page:\n got %s\nwant %s", got, strings.Join(want, " | "))
	}
	do(t, ctx, "open nightly", chromedp.Navigate(s.url+"/playbooks/nightly"), chromedp.WaitVisible(chromedp.ID("start")))
	waitFor(t, ctx, "the pause", `!!document.querySelector('main .next-run .paused')`)
	if got := times(`main .next-run`); got != strings.Join(want, " | ") {
		t.Errorf("the next run on nightly's page:\n got %s\nwant %s", got, strings.Join(want, " | "))
	}
	do(t, ctx, "open the schedules", chromedp.Navigate(s.url+"/schedules"), chromedp.WaitVisible(chromedp.CSS(`#schedules tr[data-schedule=nightly] span.paused time`)))
	if got, want := times(`#schedules tr[data-schedule=nightly] span.paused`), iso(at)+" "+zoned(at); got != want {
		t.Errorf("paused since on the schedules page: got %s, want %s", got, want)
	}
}

// claimSlotsNotRun records two slots of nightly that did not run, two and
// one hours ago: one skipped behind a run still going, one missed.
func claimSlotsNotRun(t *testing.T, s *site) (skipped, missed history.Slot) {
	t.Helper()
	slot := time.Now().UTC().Truncate(time.Hour).Add(-2 * time.Hour)
	const blocker = "20260101T000000-0123456789abcdef0123456789abcdef"
	skipped = history.Slot{Playbook: "nightly", Path: "nightly.yaml", Slot: slot, Outcome: history.SlotSkipped, At: slot, BlockedBy: blocker,
		Message: "skipped: run " + blocker + " was still running (overlap: skip)"}
	missed = history.Slot{Playbook: "nightly", Path: "nightly.yaml", Slot: slot.Add(time.Hour), Outcome: history.SlotMissed, At: slot.Add(time.Hour + time.Minute),
		Message: "missed: no scheduler was running at the slot"}
	if _, err := s.mgr.Service().History().ClaimSlots(context.Background(), []history.Slot{skipped, missed}); err != nil {
		t.Fatal(err)
	}
	return skipped, missed
}

// TestSchedulesLongMessageKeepsPause: a last slot's message with a long
// word (a path, a quoted error) wraps within its column, so that the
// table fits the window and State and Pause stay in sight at desktop
// width, not scrolled off to the side of the table.
func TestSchedulesLongMessageKeepsPause(t *testing.T) {
	b := browser(t, 3*time.Minute)
	s := startSite(t, schedulePlaybooks)
	slot := time.Now().UTC().Truncate(time.Hour).Add(-time.Hour)
	long := history.Slot{Playbook: "nightly", Path: "nightly.yaml", Slot: slot, Outcome: history.SlotMissed, At: slot,
		Message: "missed: ERROR:_could_not_obtain_lock_on_relation_customer_orders_shard_0042_partition_2026_12_because_another_session_holds_it"}
	if _, err := s.mgr.Service().History().ClaimSlots(context.Background(), []history.Slot{long}); err != nil {
		t.Fatal(err)
	}
	ctx := tab(t, b)
	s.signIn(t, ctx, "oncall")
	do(t, ctx, "open the schedules", chromedp.Navigate(s.url+"/schedules"), chromedp.WaitVisible(chromedp.CSS("#schedules ul.slots li")))
	got := eval[string](t, ctx, `(() => { const w = document.querySelector('#schedules table').parentElement;
		const b = document.querySelector('#schedules tr[data-schedule=nightly] button[data-action=pause]').getBoundingClientRect();
		const r = w.getBoundingClientRect();
		return [w.scrollWidth <= w.clientWidth, b.right <= r.right].join(' '); })()`)
	if got != "true true" {
		t.Errorf("the table fits its box, and Pause is within it: %s", got)
	}
}

// TestSchedulesNoteSaysWhyNotFired: a server that does not fire the
// schedules says so without blaming --no-schedule alone: a standby serve
// (another process holds the scheduler lock) or a replica that does not
// lead fires none either, and /healthz says which it is.
func TestSchedulesNoteSaysWhyNotFired(t *testing.T) {
	b := browser(t, 3*time.Minute)
	s := startSite(t, schedulePlaybooks)
	ctx := tab(t, b)
	s.signIn(t, ctx, "oncall")
	do(t, ctx, "open the schedules", chromedp.Navigate(s.url+"/schedules"), chromedp.WaitVisible(chromedp.CSS("#main p.note")))
	got := eval[string](t, ctx, `document.querySelector('#main p.note').textContent`)
	for _, want := range []string{"--no-schedule", "another process on its state dir", "the leading replica", "/healthz"} {
		if !strings.Contains(got, want) {
			t.Errorf("the note does not say %q: %s", want, got)
		}
	}
}
