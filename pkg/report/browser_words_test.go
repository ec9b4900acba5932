package report

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"

	"github.com/arsenal-run/arsenal-run/internal/browsertest"
)

// TestHTMLFactsWrapBetweenWords opens a report on a phone: a step's facts
// (started, resources, rescued...) wrap between words, as the rest of the
// page does, not in the middle of one ("the run's star" / "t"); only a
// value with no room to break, a run id or a digest, breaks where it must.
func TestHTMLFactsWrapBetweenWords(t *testing.T) {
	bctx := browsertest.Start(t, "the browser test", 120*time.Second, 1280, 900)
	r := loadGolden(t, "failure-retries")
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		if err := WriteHTML(w, r); err != nil {
			t.Error(err)
		}
	}))
	defer srv.Close()

	tctx, tcancel := chromedp.NewContext(bctx)
	defer tcancel()
	phone := chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		_, err := cdp.Call(ctx, tg, emulation.SetDeviceMetricsOverride, emulation.SetDeviceMetricsOverrideParams{
			Width: 375, Height: 900, DeviceScaleFactor: 1, Mobile: true,
		})
		return err
	})
	if err := chromedp.Do(tctx, phone, chromedp.Navigate(srv.URL), chromedp.WaitVisible(chromedp.CSS("svg.timeline"))); err != nil {
		t.Fatal(err)
	}
	// Every word of up to 16 characters (between spaces, hyphens or
	// slashes) in a fact, in every step's details (opened), must lie on
	// one line: a word split over two has two rectangles.
	split, err := chromedp.Run(tctx, chromedp.Evaluate[[]string](`(() => {
		for (const d of document.querySelectorAll("details")) d.open = true;
		const out = [];
		for (const dd of document.querySelectorAll("dl.facts dd")) {
			const walk = document.createTreeWalker(dd, NodeFilter.SHOW_TEXT);
			for (let n = walk.nextNode(); n; n = walk.nextNode()) {
				for (const m of n.data.matchAll(/[^\s\-\/]{2,16}/g)) {
					const rg = document.createRange();
					rg.setStart(n, m.index);
					rg.setEnd(n, m.index + m[0].length);
					if (rg.getClientRects().length > 1) out.push(m[0] + " in " + JSON.stringify(dd.textContent));
				}
			}
		}
		return out;
	})()`))
	if err != nil {
		t.Fatal(err)
	}
	if len(split) == 0 {
		return
	}
	if len(split) > 5 {
		split = split[:5]
	}
	t.Errorf("words split over two lines in a step's facts on a phone: %q", split)
}
