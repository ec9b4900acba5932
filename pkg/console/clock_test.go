package console

import (
	"context"
	"strconv"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// skewClock sets the page's clock (Date, Date.now) off by skew, as a
// browser on a machine whose clock is wrong has it; the server's clock
// stays right.
func skewClock(t *testing.T, ctx context.Context, skew time.Duration) {
	t.Helper()
	do(t, ctx, "skew the page's clock", chromedp.Evaluate[chromedp.Void](`(() => {
		const Real = Date, skew = `+strconv.FormatInt(skew.Milliseconds(), 10)+`;
		function Skewed(...a) {
			if (!new.target) return new Real(Real.now() + skew).toString();
			return a.length === 0 ? new Real(Real.now() + skew) : new Real(...a);
		}
		Skewed.now = () => Real.now() + skew;
		Skewed.parse = Real.parse;
		Skewed.UTC = Real.UTC;
		Skewed.prototype = Real.prototype;
		window.Date = Skewed;
	})()`))
}

// TestLiveDurationsWithAWrongClock: the duration of a running run, on its
// page and in the runs list, counts by the server's clock, so a browser
// whose clock is an hour behind or ahead shows neither a negative
// duration nor one of an hour.
func TestLiveDurationsWithAWrongClock(t *testing.T) {
	b := browser(t, 3*time.Minute)
	s := startSite(t, runPagePlaybooks)
	ctx := tab(t, b)
	s.signIn(t, ctx, "oncall")
	id := s.start("oncall", "slow", nil)
	t.Cleanup(func() {
		s.api("oncall", "POST", "/api/v1/runs/"+id+"/cancel", nil)
		s.wait(id)
	})
	// Seconds, or milliseconds: the run has gone on for less than a minute.
	short := `/^\d+(\.\d)? s$|^\d+ ms$/`
	for _, skew := range []time.Duration{-time.Hour, time.Hour} {
		do(t, ctx, "open the runs", chromedp.Navigate(s.url+"/runs"), chromedp.WaitVisible(chromedp.CSS("#runs-list tr[data-run]")))
		skewClock(t, ctx, skew)
		follow(t, ctx, "/runs/"+id)
		waitFor(t, ctx, "the running run", `!!document.querySelector('.run-status .b-running') && !!document.querySelector('main > dl.facts dd.duration')`)
		if got := eval[string](t, ctx, `document.querySelector('main > dl.facts dd.duration').textContent`); !eval[bool](t, ctx, short+`.test(`+jsString(got)+`)`) {
			t.Errorf("with the browser's clock %s off, the run page's duration: %q", skew, got)
		}
		follow(t, ctx, "/runs")
		cell := `document.querySelector('#runs-list tr[data-run=` + jsString(id) + `] td[data-label=Duration]')`
		waitFor(t, ctx, "the run in the list", `!!`+cell)
		if got := eval[string](t, ctx, cell+`.textContent`); !eval[bool](t, ctx, short+`.test(`+jsString(got)+`)`) {
			t.Errorf("with the browser's clock %s off, the runs list's duration: %q", skew, got)
		}
	}
}
