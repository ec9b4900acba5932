package console

import (
	"context"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

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
