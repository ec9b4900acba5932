package console

import (
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// TestStatsSummaryOfOneCall: the stats page's summary counts in words
// that agree with the numbers: one call of one operation is not "1 calls
// of 1 operations".
func TestStatsSummaryOfOneCall(t *testing.T) {
	b := browser(t, 2*time.Minute)
	s := startSite(t, map[string]string{"hello": testPlaybooks["hello"]})
	s.wait(s.start("oncall", "hello", nil))

	ctx := tab(t, b)
	s.signIn(t, ctx, "oncall")
	do(t, ctx, "open the stats", chromedp.Navigate(s.url+"/stats?range=24h"))
	waitFor(t, ctx, "the summary", `document.querySelector('#stats p.lead')`)
	got := eval[string](t, ctx, `document.querySelector('#stats p.lead').textContent`)
	if want := "1 call of 1 operation in the last 24 hours, 0 failed (0%)."; got != want {
		t.Errorf("summary: %q, want %q", got, want)
	}
}
