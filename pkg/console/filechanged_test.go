package console

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// TestPagesSayThePlaybookFileChanged: serve reads its playbooks at start
// and on SIGHUP only. Once a playbook's file is edited, the playbooks
// page and the playbook's own page say its runs run the text loaded
// before, and the page of a run started since says that run did; they
// used to say nothing.
func TestPagesSayThePlaybookFileChanged(t *testing.T) {
	b := browser(t, 2*time.Minute)
	s := startSite(t, map[string]string{
		"tick": "version: 1\nname: tick\nsteps:\n  - {id: a, op: control.noop}\n",
		"tock": "version: 1\nname: tock\nsteps:\n  - {id: a, op: control.noop}\n",
	})
	file := filepath.Join(s.pbDir, "tick.yaml")
	text, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(file, append(text, "# edited\n"...), 0o644); err != nil {
		t.Fatal(err)
	}
	id := s.start("oncall", "tick", nil)
	s.wait(id)

	ctx := tab(t, b)
	s.signIn(t, ctx, "oncall")
	said := func(sel string) string {
		return `((document.querySelector(` + jsString(sel) + `) || {}).textContent || '')`
	}
	changed := jsString("the playbook's file " + file + " changed since it was loaded")

	do(t, ctx, "open the playbooks", chromedp.Navigate(s.url+"/playbooks"))
	waitFor(t, ctx, "the edited playbook's card to say so", said(`li.card[data-playbook=tick] .file-changed`)+`.startsWith(`+changed+`)`)
	if n := eval[int](t, ctx, `document.querySelectorAll('li.card[data-playbook=tock] .file-changed').length`); n != 0 {
		t.Errorf("the card of a playbook as loaded says its file changed")
	}

	do(t, ctx, "open the playbook", chromedp.Navigate(s.url+"/playbooks/tick"))
	waitFor(t, ctx, "the playbook's page to say so", said(`#main .file-changed`)+`.includes('its runs run it as loaded')`)

	do(t, ctx, "open the run", chromedp.Navigate(s.url+"/runs/"+id))
	waitFor(t, ctx, "the run's page to say so", said(`.run-notes li.file-changed`)+`.startsWith(`+changed+`)`+
		` && `+said(`.run-notes li.file-changed`)+`.includes('this run runs it as loaded')`+
		` && !document.querySelector('.run-notes').hidden`)
}
