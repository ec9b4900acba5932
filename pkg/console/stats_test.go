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

// TestStatsRateIsNotRoundedToAll: 999 failed calls of 1,000 are not the
// "100%" of every call failed.
func TestStatsRateIsNotRoundedToAll(t *testing.T) {
	b := browser(t, 2*time.Minute)
	s := startSite(t, map[string]string{"many": `version: 1
name: many
steps:
  - id: each
    op: control.assert
    foreach: "1..1000"
    concurrency: 64
    fail_fast: false
    with: {that: "${{ item == 1 }}", message: "not one"}
`})
	s.wait(s.start("oncall", "many", nil))

	ctx := tab(t, b)
	s.signIn(t, ctx, "oncall")
	do(t, ctx, "open the stats", chromedp.Navigate(s.url+"/stats?range=24h"))
	waitFor(t, ctx, "the summary", `document.querySelector('#stats p.lead')`)
	got := eval[string](t, ctx, `document.querySelector('#stats p.lead').textContent`)
	if want := "1000 calls of 1 operation in the last 24 hours, 999 failed (99.9%)."; got != want {
		t.Errorf("summary: %q, want %q", got, want)
	}
	rate := eval[string](t, ctx, `document.querySelector('tr[data-op="control.assert"] td[data-label="Error rate"] .val').textContent`)
	if want := "99.9% (999)"; rate != want {
		t.Errorf("error rate: %q, want %q", rate, want)
	}
}
