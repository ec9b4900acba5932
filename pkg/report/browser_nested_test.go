package report

import (
	"context"
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

// TestHTMLNestedPathsDoNotBreakMidWord opens, at 1200 px, a report whose
// fan-out of sub-playbooks failed with a long error in each item: the
// short paths and ops of the nested steps (fan[a]/say, shell.exec) stay on
// one line each, instead of giving their room to the error beside them
// and breaking in the middle of a word.
func TestHTMLNestedPathsDoNotBreakMidWord(t *testing.T) {
	bctx := browsertest.Start(t, "the browser test", 120*time.Second, 1200, 900)
	start := goldenStart
	msg := "exit code 3 is not in ok_codes [0]; stderr ends with: connection refused while talking to the primary database at db-primary.internal.example.com:5432, retrying did not help, the replica is also unreachable"
	say := func() *SubRun {
		return &SubRun{Status: StatusFailed, Playbook: Playbook{Name: "bad"}, Steps: []Step{{
			ID: "say", Op: "shell.exec", Section: "steps", Status: StatusFailed, StartedAt: &start, Attempts: 1,
			Error: &Error{Class: "execution", Message: msg},
		}}}
	}
	itemErr := &Error{Class: "execution", Message: "sub-playbook bad failed: step say failed: " + msg}
	r := &Report{
		ReportVersion: FormatVersion, RunID: "r-wrap", Playbook: Playbook{Name: "top"}, Status: StatusFailed, StartedAt: start,
		Steps: []Step{{
			ID: "fan", Op: "playbook.run", Section: "steps", Status: StatusFailed, StartedAt: &start, Attempts: 1, Error: itemErr,
			Items: []Item{{Index: 0, Label: "a", Status: StatusFailed, Attempts: 1, Error: itemErr}, {Index: 1, Label: "b", Status: StatusFailed, Attempts: 1, Error: itemErr}},
			Subs:  []*SubRun{say(), say()},
		}},
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		if err := WriteHTML(w, r); err != nil {
			t.Error(err)
		}
	}))
	defer srv.Close()
	tctx, tcancel := chromedp.NewContext(bctx)
	defer tcancel()
	viewport := chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		_, err := cdp.Call(ctx, tg, emulation.SetDeviceMetricsOverride, emulation.SetDeviceMetricsOverrideParams{Width: 1200, Height: 900, DeviceScaleFactor: 1})
		return err
	})
	if err := chromedp.Do(tctx, viewport, chromedp.Navigate(srv.URL), chromedp.WaitVisible(chromedp.CSS("table.nested"))); err != nil {
		t.Fatal(err)
	}
	got, err := chromedp.Run(tctx, chromedp.Evaluate[string](`(() => {
		const cells = document.querySelectorAll("table.nested td:nth-child(-n+2) code");
		if (cells.length === 0) return "no nested cells";
		const broken = [];
		for (const c of cells) {
			const r = document.createRange();
			r.selectNodeContents(c);
			const lines = new Set([...r.getClientRects()].map(x => Math.round(x.top)));
			if (lines.size > 1) broken.push(c.textContent + " on " + lines.size + " lines");
		}
		return broken.join("; ");
	})()`))
	if err != nil {
		t.Fatal(err)
	}
	if got != "" {
		t.Errorf("short nested cells broken mid-word at 1200 px: %s", strings.TrimSpace(got))
	}
}
