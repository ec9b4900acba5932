package report

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"

	"github.com/arsenal-run/arsenal-run/internal/browsertest"
)

// TestHTMLFitsTheWindow opens a report whose inputs, fan-out items, errors
// and nested steps hold long unbroken text (a URL with a token, a deep
// sub-playbook path) on a desktop and on a phone: the page must not be
// wider than the window, so that a failed item's status and error are on
// the screen (a wide table scrolls in its own box, not the page).
func TestHTMLFitsTheWindow(t *testing.T) {
	bctx := browsertest.Start(t, "the browser test", 120*time.Second, 1280, 900)

	long := "https://example.com/a/very/long/path/" + strings.Repeat("a", 180) + "?token=" + strings.Repeat("b", 90)
	r := loadGolden(t, "failure-retries")
	r.Inputs = map[string]any{"url": long}
	start := r.StartedAt
	r.Steps = append(r.Steps,
		Step{
			ID: "fetch", Op: "http.request", Section: "steps", Status: StatusFailed, StartedAt: &start, Attempts: 1,
			Error: &Error{Class: "execution", Message: "item 0: cannot fetch " + long},
			Items: []Item{
				{Index: 0, Item: long, Status: StatusFailed, Attempts: 1, Error: &Error{Class: "execution", Message: "cannot fetch " + long}},
				{Index: 1, Item: "short", Status: StatusSucceeded, Attempts: 1},
			},
		},
		Step{
			ID: "deploy", Op: "playbook.run", Section: "steps", Status: StatusFailed, StartedAt: &start, Attempts: 1,
			Error: &Error{Class: "execution", Message: "sub-playbook l1 failed: step " + strings.Repeat("x", 60) + " failed: " + long},
			Sub: &SubRun{Status: StatusFailed, Steps: []Step{{
				ID: strings.Repeat("x", 60), Op: "shell.exec", Section: "steps", Status: StatusFailed, StartedAt: &start, Attempts: 1,
				Error: &Error{Class: "execution", Message: long},
			}}},
		})

	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		if err := WriteHTML(w, r); err != nil {
			t.Error(err)
		}
	}))
	defer srv.Close()

	for _, width := range []int64{1280, 375} {
		t.Run(fmt.Sprint(width), func(t *testing.T) {
			tctx, tcancel := chromedp.NewContext(bctx)
			defer tcancel()
			// A headless window is at least 500 px wide: a phone's
			// width is set as the device's.
			viewport := chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
				_, err := cdp.Call(ctx, tg, emulation.SetDeviceMetricsOverride, emulation.SetDeviceMetricsOverrideParams{
					Width: width, Height: 900, DeviceScaleFactor: 1, Mobile: width < 500,
				})
				return err
			})
			if err := chromedp.Do(tctx, viewport, chromedp.Navigate(srv.URL), chromedp.WaitVisible(chromedp.CSS("svg.timeline"))); err != nil {
				t.Fatal(err)
			}
			got, err := chromedp.Run(tctx, chromedp.Evaluate[string](`(() => {
				const d = document.documentElement;
				if (d.scrollWidth <= d.clientWidth) return "";
				const wide = [];
				for (const e of document.querySelectorAll("body *")) {
					let p = e.parentElement, clipped = false;
					for (; p; p = p.parentElement) if (getComputedStyle(p).overflowX !== "visible") { clipped = true; break; }
					if (!clipped && e.getBoundingClientRect().right > d.clientWidth + 1) wide.push(e.tagName + (e.className ? "." + e.className : ""));
				}
				return "page is " + d.scrollWidth + " px wide in a window of " + d.clientWidth + " px; too wide: " + wide.slice(0, 8).join(", ");
			})()`))
			if err != nil {
				t.Fatal(err)
			}
			if got != "" {
				t.Error(got)
			}
		})
	}
}
