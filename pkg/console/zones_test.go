package console

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"
)

// inZone sets the time zone of the browser's tab, which tab sets to UTC,
// so that a time shown in UTC unsaid tells itself apart from one in the
// browser's zone.
func inZone(t *testing.T, ctx context.Context, zone string) {
	t.Helper()
	do(t, ctx, "set the zone to "+zone, chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		if _, err := cdp.Call(ctx, tg, emulation.SetTimezoneOverride, emulation.SetTimezoneOverrideParams{TimezoneID: ""}); err != nil {
			return err
		}
		_, err := cdp.Call(ctx, tg, emulation.SetTimezoneOverride, emulation.SetTimezoneOverrideParams{TimezoneID: zone})
		return err
	}))
}

// TestZonedTimeWithoutZoneIsBrowsers: a time for a zone that is not
// given (a schedule no longer served) reads in the browser's zone, named,
// not in UTC under a name the reader may take for the schedule's.
func TestZonedTimeWithoutZoneIsBrowsers(t *testing.T) {
	b := browser(t, 3*time.Minute)
	s := startSite(t, schedulePlaybooks)
	ctx := tab(t, b)
	inZone(t, ctx, "Asia/Tokyo")
	s.signIn(t, ctx, "oncall")
	got := eval[string](t, ctx, `import('/assets/js/time.js').then((m) => ['', undefined, 'Not/AZone'].map((z) => m.zonedTimeEl('2026-03-01T12:00:00Z', z).textContent).join(' | '))`)
	tokyo := eval[string](t, ctx, `new Date('2026-03-01T12:00:00Z').toLocaleString([], { month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit', timeZoneName: 'short', timeZone: 'Asia/Tokyo' })`)
	if want := tokyo + " | " + tokyo + " | " + tokyo; got != want {
		t.Errorf("a time without a known zone:\n got %s\nwant %s", got, want)
	}
}

// TestStartedNamesBrowsersZone: the runs list's Started, in the
// browser's zone, names it, as the slot under a playbook names the
// schedule's: the two read apart in one row. The run's page and a slot's
// page name it as well.
func TestStartedNamesBrowsersZone(t *testing.T) {
	b := browser(t, 3*time.Minute)
	s := startSite(t, schedulePlaybooks)
	claimSlotsNotRun(t, s)
	id := s.start("oncall", "nightly", nil)
	s.wait(id)
	ctx := tab(t, b)
	inZone(t, ctx, "Asia/Tokyo")
	s.signIn(t, ctx, "oncall")
	do(t, ctx, "open the runs", chromedp.Navigate(s.url+"/runs"))
	waitFor(t, ctx, "the run and the two slots", `document.querySelectorAll('#runs-list tbody tr td[data-label=Started] time').length === 3`)
	got := eval[string](t, ctx, `[...document.querySelectorAll('#runs-list tbody tr td[data-label=Started] time')].map((e) => /GMT\+9$/.test(e.textContent) ? 'named' : e.textContent).join(' ')`)
	if want := "named named named"; got != want {
		t.Errorf("the runs list's start times:\n got %s\nwant %s", got, want)
	}
	_, m := s.api("oncall", "GET", "/api/v1/runs?status=skipped", nil)
	skipped, _ := m["runs"].([]any)
	if len(skipped) != 1 {
		t.Fatalf("the skipped slot's row: %v", m)
	}
	slot := skipped[0].(map[string]any)["id"].(string)
	for _, page := range []struct{ path, sel string }{{"/runs/" + id, "dd.started time"}, {"/runs/" + slot, "dd.recorded time"}} {
		do(t, ctx, "open "+page.path, chromedp.Navigate(s.url+page.path))
		waitFor(t, ctx, "its start", `!!document.querySelector('#main `+page.sel+`')`)
		if got := eval[string](t, ctx, `document.querySelector('#main `+page.sel+`').textContent`); !strings.HasSuffix(got, "GMT+9") {
			t.Errorf("%s: %s is %q, not named GMT+9", page.path, page.sel, got)
		}
	}
}

// TestTimesShareFormats: the times of one drawing share their
// DateTimeFormat (making one takes milliseconds, so a run of 2,000 steps
// took seconds to show and left the tab unresponsive), and a drawing
// after the browser's zone changed shows the new zone.
func TestTimesShareFormats(t *testing.T) {
	b := browser(t, 3*time.Minute)
	s := startSite(t, schedulePlaybooks)
	ctx := tab(t, b)
	inZone(t, ctx, "Asia/Tokyo")
	s.signIn(t, ctx, "oncall")
	made := eval[float64](t, ctx, `import('/assets/js/time.js').then((m) => {
		const Real = Intl.DateTimeFormat;
		let made = 0;
		Intl.DateTimeFormat = function (...args) { made++; return new Real(...args); };
		try {
			for (let i = 0; i < 100; i++) m.timeEl(new Date(Date.UTC(2026, 0, 2, 3, 4, i % 60)).toISOString(), true);
		} finally {
			Intl.DateTimeFormat = Real;
		}
		return made;
	})`)
	if made > 1 {
		t.Errorf("100 times in one drawing made %v DateTimeFormats, want 1", made)
	}
	show := `import('/assets/js/time.js').then((m) => new Promise((done) => setTimeout(() => done(m.timeEl('2026-01-02T03:04:05Z', true).textContent), 0)))`
	if got := eval[string](t, ctx, show); !strings.HasSuffix(got, "GMT+9") {
		t.Fatalf("in Tokyo: %q", got)
	}
	inZone(t, ctx, "America/Sao_Paulo")
	if got := eval[string](t, ctx, show); !strings.HasSuffix(got, "GMT-3") {
		t.Errorf("after the zone changed to São Paulo: %q, want GMT-3", got)
	}
}

// TestStepStartedNamesBrowsersZone: a step's Started, on its card, names
// the browser's zone as the run's does: a card read alone (copied into an
// incident's channel) says which clock it is.
func TestStepStartedNamesBrowsersZone(t *testing.T) {
	b := browser(t, 2*time.Minute)
	s := startSite(t, map[string]string{"hello": testPlaybooks["hello"]})
	id := s.start("oncall", "hello", nil)
	s.wait(id)
	ctx := tab(t, b)
	inZone(t, ctx, "Asia/Tokyo")
	s.signIn(t, ctx, "oncall")
	do(t, ctx, "open the run", chromedp.Navigate(s.url+"/runs/"+id))
	sel := `document.querySelector('li.step[data-step=hi] dl.facts time')`
	waitFor(t, ctx, "the step's start", `!!`+sel)
	if got := eval[string](t, ctx, sel+`.textContent`); !strings.HasSuffix(got, "GMT+9") {
		t.Errorf("the step's Started is %q, not named GMT+9", got)
	}
}
