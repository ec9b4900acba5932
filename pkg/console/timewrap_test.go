package console

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/arsenal-run/arsenal-run/internal/browsertest"
	"github.com/arsenal-run/arsenal-run/pkg/history"
)

// TestTimesWrapWhole: on a phone, a schedule's last slots, each beside a
// status badge in a narrow column, keep each time on
// one line ("Dec 5, 07:20 PM GMT-3"), not split between its hour and its
// AM/PM and zone, as the runs list's times do.
func TestTimesWrapWhole(t *testing.T) {
	b := browser(t, 3*time.Minute)
	s := startSite(t, schedulePlaybooks)
	slot := time.Now().UTC().Truncate(time.Hour).Add(-time.Hour)
	missed := history.Slot{Playbook: "nightly", Path: "nightly.yaml", Slot: slot, Outcome: history.SlotMissed, At: slot, Message: "missed: the server was down"}
	if _, err := s.mgr.Service().History().ClaimSlots(context.Background(), []history.Slot{missed}); err != nil {
		t.Fatal(err)
	}
	ctx := tab(t, b)
	s.signIn(t, ctx, "oncall")
	do(t, ctx, "use a phone", chromedp.EmulateViewport(360, 760, chromedp.EmulateScale(2), chromedp.EmulateMobile))
	do(t, ctx, "open the schedules", chromedp.Navigate(s.url+"/schedules"), chromedp.WaitVisible(chromedp.CSS("#schedules ul.slots li time")))
	split := eval[[]string](t, ctx, `[...document.querySelectorAll('#schedules ul.slots time')].filter((e) => {
		const r = document.createRange(); r.selectNodeContents(e);
		return new Set([...r.getClientRects()].map((x) => Math.round(x.top))).size > 1;
	}).map((e) => e.textContent)`)
	if n := eval[int](t, ctx, `document.querySelectorAll('#schedules ul.slots time').length`); n < 1 {
		t.Fatalf("the schedules page shows %d times", n)
	}
	for _, text := range split {
		t.Errorf("the time %q is split over two lines", text)
	}
}

// TestScheduleTimesKeepTheirClock: in a 12-hour locale, a schedule's
// times never break between the hour and its AM/PM and zone ("07:19" on
// one line, "PM GMT-3" on the next): not in the narrow Next column of a
// 1024 px window, where each next fire time is one line, and not on a
// phone, where a paused schedule's "since Dec 5, 11:22 PM GMT+1" is one
// line in its column.
func TestScheduleTimesKeepTheirClock(t *testing.T) {
	b := browsertest.Start(t, "the console's browser tests", 3*time.Minute, 1280, 900, chromedp.Flag("lang", "en-US"))
	pbs := map[string]string{"nightly": schedulePlaybooks["nightly"], "evening": `version: 1
name: evening
description: Close the day's books for the office in São Paulo
schedule: {cron: "19 19 * * *", timezone: America/Sao_Paulo}
steps:
  - {id: close, op: shell.exec, with: {command: ["true"]}}
`}
	s := startSite(t, pbs)
	if code, m := s.api("alice", "POST", "/api/v1/schedules/nightly/pause", nil); code != 200 {
		t.Fatalf("pause: %d %v", code, m)
	}
	ctx := tab(t, b)
	s.signIn(t, ctx, "oncall")
	// lines says, for each time matched by sel, on how many lines its
	// whole text lies, and on how many its clock, from the hour to its
	// AM/PM and zone.
	lines := func(sel string) []string {
		return eval[[]string](t, ctx, `[...document.querySelectorAll(`+jsString(sel)+`)].map((e) => {
			const tops = (r) => new Set([...r.getClientRects()].filter((x) => x.width > 0).map((x) => Math.round(x.top))).size;
			const whole = document.createRange(); whole.selectNodeContents(e);
			const text = e.textContent, from = text.search(/\d\d:\d\d/);
			const walk = document.createTreeWalker(e, NodeFilter.SHOW_TEXT), clock = document.createRange();
			for (let n, at = 0; (n = walk.nextNode()); at += n.length) {
				if (from >= at && from < at + n.length) clock.setStart(n, from - at);
				clock.setEnd(n, n.length);
			}
			return text + ': ' + tops(whole) + ' ' + tops(clock);
		})`)
	}
	for _, vp := range []viewport{phone, {"phone-390", 390, 844, 3, true}, {"laptop", 1024, 700, 1, false}} {
		look(t, ctx, vp, false)
		do(t, ctx, "open the schedules", chromedp.Navigate(s.url+"/schedules"))
		waitFor(t, ctx, "the paused schedule", `document.querySelectorAll('#schedules .paused time').length === 1 && document.querySelectorAll('#schedules ul.next time').length === 6`)
		for _, sel := range []string{"#schedules .paused time", "#schedules ul.next time"} {
			got := lines(sel)
			for _, l := range got {
				if !strings.Contains(l, "M GMT") {
					t.Fatalf("at %s, %s is %q: not a 12-hour time with its zone", vp.name, sel, l)
				}
				want := " 1 1"
				if sel == "#schedules ul.next time" && vp.mobile {
					want = " 1"
				}
				if !strings.HasSuffix(l, want) {
					t.Errorf("at %s, %s (lines of the time and of its clock): %s", vp.name, sel, l)
				}
			}
		}
	}
}
