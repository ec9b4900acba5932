package console

import (
	"context"
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
	got := eval[string](t, ctx, `import('/assets/js/lib.js').then((m) => ['', undefined, 'Not/AZone'].map((z) => m.zonedTimeEl('2026-03-01T12:00:00Z', z).textContent).join(' | '))`)
	tokyo := eval[string](t, ctx, `new Date('2026-03-01T12:00:00Z').toLocaleString([], { month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit', timeZoneName: 'short', timeZone: 'Asia/Tokyo' })`)
	if want := tokyo + " | " + tokyo + " | " + tokyo; got != want {
		t.Errorf("a time without a known zone:\n got %s\nwant %s", got, want)
	}
}
