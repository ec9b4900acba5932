package console

import (
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// TestPhoneRunsSeparatorsAreSilent: on a phone the runs list sets each
// run's cells on one line with " · " drawn between them; a screen reader
// must not read each one aloud as "middle dot".
func TestPhoneRunsSeparatorsAreSilent(t *testing.T) {
	b := browser(t, 2*time.Minute)
	s := startSite(t, layoutPlaybooks)
	seed(t, s)
	ctx := tab(t, b)
	s.signIn(t, ctx, "alice")
	look(t, ctx, phone, false)
	do(t, ctx, "open the runs", chromedp.Navigate(s.url+"/runs"))
	waitFor(t, ctx, "the runs", `document.querySelectorAll('table.stack.runs tbody tr').length > 0`)
	drawn := eval[string](t, ctx, `getComputedStyle(document.querySelector('table.stack.runs tbody td:nth-child(3)'), '::after').content`)
	if !strings.Contains(drawn, "·") {
		t.Fatalf("the phone's runs list draws no separator (%q): the test sees no phone layout", drawn)
	}
	for _, name := range axNames(t, ctx, "StaticText") {
		if strings.Contains(name, "·") {
			t.Fatalf("a screen reader reads the separator: %q", name)
		}
	}
}
