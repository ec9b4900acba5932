package report

import (
	"bytes"
	"context"
	"flag"
	"image"
	"image/png"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/dom"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"

	"github.com/arsenal-run/arsenal-run/internal/browsertest"
)

var screenshots = flag.String("screenshots", "", "keep the browser test's screenshots in this directory")

// TestHTMLInBrowser opens the HTML reports in headless Chromium with page
// scripts disabled (the content must not need them), counts one timeline
// bar per step, checks every bar was laid out with a size, and checks the
// screenshot is not blank.
func TestHTMLInBrowser(t *testing.T) {
	bctx := browsertest.Start(t, "the browser test", 120*time.Second, 1100, 900)

	pages := map[string]*Report{}
	for _, name := range []string{"fanout-cancelled", "failure-retries", "skipped-denied"} {
		pages["/"+name+".html"] = loadGolden(t, name)
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		r, ok := pages[req.URL.Path]
		if !ok {
			http.NotFound(w, req)
			return
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		// The report must render under a policy that forbids every external
		// load; inline style and script are its own.
		w.Header().Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'")
		if err := WriteHTML(w, r); err != nil {
			t.Error(err)
		}
	}))
	defer srv.Close()

	for path, r := range pages {
		t.Run(strings.TrimSuffix(path[1:], ".html"), func(t *testing.T) {
			tctx, tcancel := chromedp.NewContext(bctx)
			defer tcancel()
			noScripts := chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
				_, err := cdp.Call(ctx, tg, emulation.SetScriptExecutionDisabled, emulation.SetScriptExecutionDisabledParams{Value: true})
				return err
			})
			if err := chromedp.Do(tctx, noScripts, chromedp.Navigate(srv.URL+path), chromedp.WaitVisible(chromedp.CSS("svg.timeline"))); err != nil {
				t.Fatal(err)
			}
			bars, err := chromedp.Run(tctx, chromedp.Nodes(chromedp.CSSAll("rect[data-step]")))
			if err != nil {
				t.Fatal(err)
			}
			if len(bars) != len(r.Steps) {
				t.Errorf("%d timeline bars, want one per step (%d)", len(bars), len(r.Steps))
			}
			// A full-page screenshot at scroll 0 shares the box model's
			// coordinates, so each bar's centre pixel can be read from it.
			shot, err := chromedp.Run(tctx, chromedp.FullScreenshot(100))
			if err != nil {
				t.Fatal(err)
			}
			img, err := png.Decode(bytes.NewReader(shot))
			if err != nil {
				t.Fatalf("screenshot is not a PNG: %v", err)
			}
			mean, variance := luminance(img)
			t.Logf("screenshot %dx%d: mean luminance %.1f, variance %.1f", img.Bounds().Dx(), img.Bounds().Dy(), mean, variance)
			if variance < 100 {
				t.Errorf("screenshot looks blank: luminance variance %.1f", variance)
			}
			seen := map[string]int{}
			for _, n := range bars {
				id := n.AttributeValue("data-step")
				seen[id]++
				box, err := chromedp.Call(tctx, dom.GetBoxModel, dom.GetBoxModelParams{NodeID: n.NodeID})
				if err != nil || box.Model == nil || len(box.Model.Content) < 8 {
					t.Errorf("bar of step %s has no layout: %v", id, err)
					continue
				}
				if box.Model.Width < 1 || box.Model.Height < 1 {
					t.Errorf("bar of step %s is %dx%d px", id, box.Model.Width, box.Model.Height)
					continue
				}
				q := box.Model.Content
				cx, cy := int((q[0]+q[4])/2), int((q[1]+q[5])/2)
				r, g, b, _ := img.At(cx, cy).RGBA()
				if r>>8 > 235 && g>>8 > 235 && b>>8 > 235 {
					t.Errorf("bar of step %s is not drawn: pixel (%d,%d) is background #%02x%02x%02x", id, cx, cy, r>>8, g>>8, b>>8)
				}
			}
			for _, s := range r.Steps {
				if seen[s.ID] != 1 {
					t.Errorf("step %s has %d bars, want 1", s.ID, seen[s.ID])
				}
			}
			if *screenshots != "" {
				if err := os.WriteFile(filepath.Join(*screenshots, strings.TrimSuffix(path[1:], ".html")+".png"), shot, 0o644); err != nil {
					t.Error(err)
				}
			}
		})
	}
}

// luminance returns the mean and variance of pixel luminance (0..255); a
// page that failed to render is one flat colour.
func luminance(img image.Image) (mean, variance float64) {
	b := img.Bounds()
	var sum, sumSq float64
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			r, g, bl, _ := img.At(x, y).RGBA()
			l := 0.2126*float64(r>>8) + 0.7152*float64(g>>8) + 0.0722*float64(bl>>8)
			sum += l
			sumSq += l * l
		}
	}
	n := float64(b.Dx() * b.Dy())
	mean = sum / n
	return mean, sumSq/n - mean*mean
}
