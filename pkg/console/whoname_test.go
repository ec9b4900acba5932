package console

import (
	"fmt"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/arsenal-run/arsenal-run/pkg/server"
)

// TestPhoneHeaderShowsTheWholeName: on a phone, the header shows the
// signed-in key's name whole, with its roles, however long (a team's
// naming scheme: oncall-alice.smith-eu), not cut to "oncall-al…"; the
// header stays within the screen and Sign out whole beside it.
func TestPhoneHeaderShowsTheWholeName(t *testing.T) {
	b := browser(t, 2*time.Minute)
	s := startSite(t, map[string]string{"hello": testPlaybooks["hello"]})
	const name = "oncall-alice.smith-eu"
	key, digest, err := server.NewKey()
	if err != nil {
		t.Fatal(err)
	}
	s.keys[name] = key
	s.editKeys(func(k string) string {
		return k + fmt.Sprintf("  - {name: %s, sha256: %s, roles: [operator]}\n", name, digest)
	})
	ctx := tab(t, b)
	for _, vp := range []viewport{{"phone", 360, 760, 2, true}, {"small phone", 320, 640, 2, true}} {
		look(t, ctx, vp, false)
		s.signIn(t, ctx, name)
		got := eval[string](t, ctx, `(() => {
			const n = document.getElementById('who-name'), out = document.getElementById('signout'), r = n.getBoundingClientRect();
			const cut = n.scrollWidth > n.clientWidth + 1 || getComputedStyle(n).textOverflow === 'ellipsis' && n.scrollWidth > n.clientWidth;
			const off = r.left < 0 || r.right > innerWidth || out.getBoundingClientRect().right > innerWidth;
			return [n.textContent, cut ? 'cut' : 'whole', off ? 'off the screen' : 'on the screen',
				document.documentElement.scrollWidth > document.documentElement.clientWidth ? 'page too wide' : 'page fits'].join(' | '); })()`)
		if want := name + " (operator) | whole | on the screen | page fits"; got != want {
			t.Errorf("the header at %s: %q, want %q", vp.name, got, want)
		}
		// The page's own click: the test is of the header's layout, not of
		// where a click lands.
		eval[bool](t, ctx, `(() => { document.getElementById('signout').click(); return true; })()`)
		do(t, ctx, "sign out", chromedp.WaitVisible(chromedp.ID("key")))
	}
}
