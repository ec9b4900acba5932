package console

import (
	"context"
	"fmt"
	"regexp"
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
// duration nor one of an hour: never more than the run has gone on.
func TestLiveDurationsWithAWrongClock(t *testing.T) {
	b := browser(t, 3*time.Minute)
	s := startSite(t, runPagePlaybooks)
	ctx := tab(t, b)
	s.signIn(t, ctx, "oncall")
	before := time.Now()
	id := s.start("oncall", "slow", nil)
	t.Cleanup(func() {
		s.api("oncall", "POST", "/api/v1/runs/"+id+"/cancel", nil)
		s.wait(id)
	})
	// check reads a duration the page shows: at most as long as the run
	// has gone on (and 2 s, for the server's clock, read from its answers
	// in whole seconds, and the page's drawing once a second), however
	// slow the machine that runs the test.
	check := func(where, script string) {
		t.Helper()
		got := eval[string](t, ctx, script)
		most := time.Since(before) + 2*time.Second
		if d, ok := shownDuration(got); !ok || d > most {
			t.Errorf("%s: the duration %q, want at most %s", where, got, most.Round(time.Second))
		}
	}
	for _, skew := range []time.Duration{-time.Hour, time.Hour} {
		do(t, ctx, "open the runs", chromedp.Navigate(s.url+"/runs"), chromedp.WaitVisible(chromedp.CSS("#runs-list tr[data-run]")))
		skewClock(t, ctx, skew)
		follow(t, ctx, "/runs/"+id)
		waitFor(t, ctx, "the running run", `!!document.querySelector('.run-status .b-running') && !!document.querySelector('main > dl.facts dd.duration')`)
		check(fmt.Sprintf("with the browser's clock %s off, the run page", skew), `document.querySelector('main > dl.facts dd.duration').textContent`)
		follow(t, ctx, "/runs")
		cell := `document.querySelector('#runs-list tr[data-run=` + jsString(id) + `] td[data-label=Duration]')`
		waitFor(t, ctx, "the run in the list", `!!`+cell)
		check(fmt.Sprintf("with the browser's clock %s off, the runs list", skew), cell+`.textContent`)
	}
}

// shownDuration reads a duration as the console shows it (412 ms, 3.5 s,
// 42 s, 2m 5s, 1h 3m).
func shownDuration(s string) (time.Duration, bool) {
	for _, f := range []struct {
		re   *regexp.Regexp
		unit []time.Duration
	}{
		{regexp.MustCompile(`^(\d+) ms$`), []time.Duration{time.Millisecond}},
		{regexp.MustCompile(`^(\d+(?:\.\d)?) s$`), []time.Duration{time.Second}},
		{regexp.MustCompile(`^(\d+)m (\d+)s$`), []time.Duration{time.Minute, time.Second}},
		{regexp.MustCompile(`^(\d+)h (\d+)m$`), []time.Duration{time.Hour, time.Minute}},
	} {
		m := f.re.FindStringSubmatch(s)
		if m == nil {
			continue
		}
		var d time.Duration
		for i, u := range f.unit {
			n, err := strconv.ParseFloat(m[i+1], 64)
			if err != nil {
				return 0, false
			}
			d += time.Duration(n * float64(u))
		}
		return d, true
	}
	return 0, false
}
