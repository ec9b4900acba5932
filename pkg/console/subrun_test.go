package console

import (
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/arsenal-run/arsenal-run/pkg/report"
)

// The playbooks of the sub-run test: outer runs middle, which runs leaf
// for each of two hosts; leaf fails on db-2, two levels below outer, and
// cannot compute its output rows.
var subRunPlaybooks = map[string]string{
	"outer": `version: 1
name: outer
steps:
  - {id: call, op: playbook.run, with: {path: middle.yaml}}
`,
	"middle": `version: 1
name: middle
steps:
  - {id: prepare, op: control.log, with: {message: ready}}
  - id: each
    op: playbook.run
    foreach: ["db-1", "db-2"]
    fail_fast: false
    with: {path: leaf.yaml, inputs: {host: "${{ item }}"}}
`,
	"leaf": `version: 1
name: leaf
inputs:
  host: {type: string}
steps:
  - {id: check, op: control.set, with: {rows: 12}}
  - id: migrate
    op: shell.exec
    with: {script: "test \"$HOST\" != db-2 || { echo 'db-2: relation users_archive_2026_partition_customer_accounts is locked by another session' >&2; exit 3; }"}
    env: {HOST: "${{ inputs.host }}"}
outputs:
  rows: "${{ steps.check.output.rows.count }}"
`,
}

// TestSubRunSteps opens a run whose playbook.run step failed because a
// step of a sub-run of one of its sub-run's fan-out items failed: the
// step's card shows the sub-run, its steps, the fan-out's sub-runs by item,
// the failed step two levels down with its error and the output its run
// could not compute, open without a click, at 390 px without any sideways
// scroll.
func TestSubRunSteps(t *testing.T) {
	b := browser(t, 3*time.Minute)
	s := startSite(t, subRunPlaybooks)
	ctx := tab(t, b)
	s.signIn(t, ctx, "oncall")
	id := s.start("oncall", "outer", nil)
	if rep := s.wait(id); rep.Status != report.StatusFailed {
		t.Fatalf("the run: %s", rep.Status)
	}
	look(t, ctx, viewport{"phone-390", 390, 844, 3, true}, false)
	do(t, ctx, "open the run", chromedp.Navigate(s.url+"/runs/"+id))
	waitFor(t, ctx, "the sub-run", `!!document.querySelector('li.step[data-step=call] details.sub-run')`)

	lines := eval[[]string](t, ctx, `(() => {
		const card = document.querySelector('li.step[data-step=call]');
		const seen = (e) => e.checkVisibility();
		const out = [];
		for (const li of card.querySelectorAll('li.sub-step')) {
			const head = li.querySelector(':scope > .sub-step-head').textContent;
			const err = li.querySelector(':scope > .sub-error');
			out.push((seen(li) ? '' : 'hidden ') + head + (err ? ' | ' + err.textContent : ''));
		}
		for (const d of card.querySelectorAll('details.sub-run')) out.push('run: ' + d.querySelector(':scope > summary').textContent + (d.open ? ' (open)' : ''));
		return out;
	})()`)
	got := strings.Join(lines, "\n")
	for _, want := range []string{
		"run: ✗ failed sub-run of middle",
		"run: ✓ succeeded item 0 (db-1): sub-run of leaf",
		"(open)",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("the card lacks %q:\n%s", want, got)
		}
	}
	var deep string
	for _, l := range lines {
		if strings.Contains(l, "migrate") && strings.Contains(l, "failed") {
			deep = l
		}
	}
	if deep == "" || strings.HasPrefix(deep, "hidden ") || !strings.Contains(deep, "shell.exec") ||
		!strings.Contains(deep, "relation users_archive_2026_partition_customer_accounts is locked by another session") {
		t.Errorf("the failed step two levels down, with its error, in sight:\n%s", got)
	}
	outs := eval[string](t, ctx, `[...document.querySelectorAll('li.step[data-step=call] details.sub-run[open] dl.sub-outputs')].filter(e => e.checkVisibility()).map(e => e.textContent).join('\n')`)
	if !strings.Contains(outs, "output rowsnot computed, the caller read null: ") {
		t.Errorf("the output leaf could not compute is not shown: %q", outs)
	}
	if !strings.Contains(got, "hidden ✓ succeeded migrate shell.exec") {
		t.Errorf("the steps of the sub-run that succeeded are open:\n%s", got)
	}
	if !strings.Contains(got, "item 1 (db-2): sub-run of leaf") {
		t.Errorf("the failed item's sub-run is not named by its item:\n%s", got)
	}
	if w := eval[string](t, ctx, `document.documentElement.scrollWidth + ' ' + document.documentElement.clientWidth`); w != "390 390" {
		t.Errorf("at 390 px the page is %s px wide (scroll, client)", w)
	}
}

// TestSubRunFanOutItems opens a run whose playbook.run step ran a
// playbook with a fan-out over three hosts, one of which failed: the
// sub-run's fan-out step in the card lists its items by label with their
// status, and the failed one's error, as the run's own fan-out steps do.
func TestSubRunFanOutItems(t *testing.T) {
	b := browser(t, 3*time.Minute)
	s := startSite(t, map[string]string{
		"caller": "version: 1\nname: caller\nsteps:\n  - {id: call, op: playbook.run, with: {path: hosts.yaml}}\n",
		"hosts": `version: 1
name: hosts
steps:
  - id: restart
    op: shell.exec
    foreach: ["web-1", "web-2", "web-3"]
    fail_fast: false
    with: {script: "test \"$HOST\" != web-2 || { echo 'web-2: unit nginx.service is masked' >&2; exit 4; }"}
    env: {HOST: "${{ item }}"}
`,
	})
	ctx := tab(t, b)
	s.signIn(t, ctx, "oncall")
	id := s.start("oncall", "caller", nil)
	if rep := s.wait(id); rep.Status != report.StatusFailed {
		t.Fatalf("the run: %s", rep.Status)
	}
	look(t, ctx, viewport{"phone-390", 390, 844, 3, true}, false)
	do(t, ctx, "open the run", chromedp.Navigate(s.url+"/runs/"+id))
	waitFor(t, ctx, "the sub-run's step", `!!document.querySelector('li.step[data-step=call] li.sub-step[data-step=restart]')`)
	got := eval[string](t, ctx, `[...document.querySelectorAll('li.step[data-step=call] li.sub-step[data-step=restart] li.sub-item')].map((e) => (e.checkVisibility() ? '' : 'hidden ') + e.textContent).join('\n')`)
	for _, want := range []string{"✓ succeeded web-1", "✗ failed web-2", "web-2: unit nginx.service is masked", "✓ succeeded web-3"} {
		if !strings.Contains(got, want) {
			t.Errorf("the sub-run's fan-out items lack %q:\n%s", want, got)
		}
	}
	if strings.Contains(got, "hidden ") {
		t.Errorf("items of the failed sub-run are out of sight:\n%s", got)
	}
	if w := eval[string](t, ctx, `document.documentElement.scrollWidth + ' ' + document.documentElement.clientWidth`); w != "390 390" {
		t.Errorf("at 390 px the page is %s px wide (scroll, client)", w)
	}
}

// TestSubRunLink: a sub-run's id in its card links to the card itself:
// the address it gives, opened in a new tab, shows the run's page with
// that sub-run open (one that succeeded, nested in another, is closed
// otherwise), in sight and with the focus on it.
func TestSubRunLink(t *testing.T) {
	b := browser(t, 3*time.Minute)
	s := startSite(t, subRunPlaybooks)
	ctx := tab(t, b)
	s.signIn(t, ctx, "oncall")
	id := s.start("oncall", "outer", nil)
	s.wait(id)
	look(t, ctx, viewport{"phone-390", 390, 844, 3, true}, false)
	do(t, ctx, "open the run", chromedp.Navigate(s.url+"/runs/"+id))
	waitFor(t, ctx, "the sub-runs", `document.querySelectorAll('details.sub-run').length === 3`)
	sub := eval[string](t, ctx, `[...document.querySelectorAll('details.sub-run')].find((d) => d.querySelector(':scope > summary').textContent.includes('item 0 (db-1)')).dataset.run`)
	do(t, ctx, "click the sub-run's link", chromedp.Click(chromedp.CSS(`details.sub-run[data-run="`+sub+`"] > summary a`)))
	if got := eval[string](t, ctx, `location.pathname + location.hash`); got != "/runs/"+id+"#sub-run-"+sub {
		t.Errorf("the address after the click: %s", got)
	}
	do(t, ctx, "open the link anew", chromedp.Navigate("about:blank"), chromedp.Navigate(s.url+"/runs/"+id+"#sub-run-"+sub))
	waitFor(t, ctx, "the sub-run", `!!document.querySelector('details.sub-run[data-run="`+sub+`"]')`)
	got := eval[string](t, ctx, `(() => {
		const d = document.querySelector('details.sub-run[data-run="`+sub+`"]'), r = d.getBoundingClientRect();
		return [d.open ? 'open' : 'closed', document.activeElement === d ? 'focused' : 'not focused',
			r.top > -1 && r.top < innerHeight ? 'in sight' : 'out of sight at ' + Math.round(r.top)].join(' ');
	})()`)
	if got != "open focused in sight" {
		t.Errorf("the linked sub-run is %s", got)
	}
}
