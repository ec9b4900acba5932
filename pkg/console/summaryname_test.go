package console

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/accessibility"
	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/chromedp"
)

// axNames is the names a screen reader gives to the page's nodes of a
// role, from the browser's accessibility tree.
func axNames(t *testing.T, ctx context.Context, role string) []string {
	t.Helper()
	var names []string
	do(t, ctx, "read the accessibility tree", chromedp.Func(func(c context.Context, tg *chromedp.Target) error {
		tree, err := cdp.Call(c, tg, accessibility.GetFullAXTree, accessibility.GetFullAXTreeParams{})
		if err != nil {
			return err
		}
		for _, n := range tree.Nodes {
			var r, name string
			if n.Ignored || n.Role == nil || n.Name == nil || json.Unmarshal(n.Role.Value, &r) != nil || r != role {
				continue
			}
			if err := json.Unmarshal(n.Name.Value, &name); err != nil {
				return err
			}
			names = append(names, name)
		}
		return nil
	}))
	return names
}

// TestStepSummariesSayNoTriangle reads what a screen reader says for
// each step's and sub-run's summary, the control that opens its card: its
// status and name, not the ▸ or ▾ drawn before it ("black right-pointing
// small triangle"), which repeats, in words, the open or closed state the
// control already gives.
func TestStepSummariesSayNoTriangle(t *testing.T) {
	b := browser(t, 2*time.Minute)
	s := startSite(t, subRunPlaybooks)
	ctx := tab(t, b)
	s.signIn(t, ctx, "oncall")
	id := s.start("oncall", "outer", nil)
	s.wait(id)
	do(t, ctx, "open the run", chromedp.Navigate(s.url+"/runs/"+id))
	waitFor(t, ctx, "the sub-runs", `document.querySelectorAll('li.step[data-step=call] details.sub-run').length >= 3`)
	names := axNames(t, ctx, "DisclosureTriangle")
	if len(names) < 4 {
		t.Fatalf("%d summaries in the accessibility tree: %q", len(names), names)
	}
	for _, name := range names {
		if strings.ContainsAny(name, "▸▾") || !strings.HasPrefix(name, "failed ") && !strings.HasPrefix(name, "succeeded ") {
			t.Errorf("a summary is said %q, not its status first", name)
		}
	}
}
