package console

import (
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// A playbook whose names are as long as they may be, each one word: the
// step's id, and its inputs' names.
var longNamesPlaybooks = map[string]string{
	"renew-certificates": `version: 1
name: renew-certificates
inputs:
  a_very_long_input_name_that_goes_on_and_on_and_on_and_on: {type: string, default: x}
  environment_of_the_deployment_target: {type: string, default: staging-eu-west-1-with-a-long-name}
steps:
  - id: print_a_very_long_line_of_output_without_any_spaces_in_it_at_all
    op: shell.exec
    with: {script: "echo renewing; exit 3"}
`,
	"renew-fleet": `version: 1
name: renew-fleet
inputs:
  hosts: {type: list, default: [web-1.eu-west-1.compute.internal.example.com.with.a.long.name, "https://example.com/a/very/long/url/that/has/no/spaces/at/all/and/keeps/going/on/and/on/for/ever/and/ever", web-3]}
steps:
  - id: renew
    op: shell.exec
    foreach: inputs.hosts
    fail_fast: false
    with: {script: "echo renewing_the_certificate_of_a_host_with_a_very_long_name_and_no_spaces_at_all; test \"$HOST\" != web-3"}
    env: {HOST: "${{ item }}"}
`,
}

// tablet is a tablet held upright: the tables are tables, not cards.
var tablet = viewport{"tablet", 768, 1024, 1, true}

// TestConsoleLongNamesOnAPhone opens a failed run with long one-word
// names on a 375 px phone: the page stays as wide as the screen, the
// step's id breaks inside its card, and the inputs' values keep room to
// be read beside their long names.
func TestConsoleLongNamesOnAPhone(t *testing.T) {
	b := browser(t, 3*time.Minute)
	s := startSite(t, longNamesPlaybooks)
	id := s.start("alice", "renew-certificates", nil)
	s.wait(id)
	ctx := tab(t, b)
	s.signIn(t, ctx, "alice")
	for _, dark := range []bool{false, true} {
		look(t, ctx, viewport{"phone", 375, 740, 2, true}, dark)
		do(t, ctx, "open the run", chromedp.Navigate(s.url+"/runs/"+id))
		waitFor(t, ctx, "the failed run with its inputs", `document.querySelector('.run-status .b-failed') && document.querySelectorAll('dl.facts.io dd').length === 2`)
		audit(t, ctx, "a run with long names", phone, dark)
		// The step's card holds its heading.
		if got := eval[string](t, ctx, `(() => {
			const li = document.querySelector('li.step'), label = li.querySelector('.step-label');
			return label.getBoundingClientRect().right <= li.getBoundingClientRect().right + 0.5 ? '' : 'the step id reaches ' + Math.round(label.getBoundingClientRect().right) + ' px, its card ends at ' + Math.round(li.getBoundingClientRect().right) + ' px';
		})()`); got != "" {
			t.Error(got)
		}
		// Each input's value has at least half of the list's width.
		if got := eval[string](t, ctx, `[...document.querySelectorAll('dl.facts.io dd')]
			.filter(dd => dd.getBoundingClientRect().width < dd.parentElement.getBoundingClientRect().width / 2)
			.map(dd => dd.textContent + ' is ' + Math.round(dd.getBoundingClientRect().width) + ' px wide').join('; ')`); got != "" {
			t.Errorf("squeezed input values: %s", got)
		}
	}
}

// TestConsoleLongItemNamesFit opens a fan-out whose items are named by a
// long host name and a long URL, with long output, on a phone and a
// tablet: each item's name and output wrap within the items' table, so
// that every item's status shows without scrolling sideways, and a short
// name (web-3) stays whole on one line.
func TestConsoleLongItemNamesFit(t *testing.T) {
	b := browser(t, 3*time.Minute)
	s := startSite(t, longNamesPlaybooks)
	id := s.start("alice", "renew-fleet", nil)
	s.wait(id)
	ctx := tab(t, b)
	s.signIn(t, ctx, "alice")
	for _, vp := range []viewport{{"phone", 375, 740, 2, true}, tablet} {
		look(t, ctx, vp, false)
		do(t, ctx, "open the run", chromedp.Navigate(s.url+"/runs/"+id))
		waitFor(t, ctx, "the items of the failed step", `document.querySelector('.run-status .b-failed') && document.querySelectorAll('.items-table tbody tr').length === 3`)
		audit(t, ctx, "a fan-out with long item names", vp, false)
		if got := eval[string](t, ctx, `(() => {
			const wrap = document.querySelector('.items .table-wrap'), edge = wrap.getBoundingClientRect().right + 0.5;
			const out = [];
			if (wrap.scrollWidth > wrap.clientWidth) out.push('the items table is ' + (wrap.scrollWidth - wrap.clientWidth) + ' px wider than its place');
			for (const el of wrap.querySelectorAll('td code, td .badge')) {
				if (el.getBoundingClientRect().right > edge) out.push(el.textContent.slice(0, 30) + ' ends ' + Math.round(el.getBoundingClientRect().right - edge) + ' px past the table');
			}
			const short = [...wrap.querySelectorAll('td[data-label=Item] code')].find(c => c.textContent === 'web-3');
			if (short.getClientRects().length !== 1 || short.getBoundingClientRect().height > 24) out.push('web-3 is not on one line');
			return out.join('; ');
		})()`); got != "" {
			t.Errorf("at %s: %s", vp.name, got)
		}
	}
}

// TestConsoleTablesFitATablet opens the schedules and the runs of a
// playbook named with underscores (one word of 64 letters) and scheduled
// in a long time zone, beside the layout test's, at the narrowest width
// that shows tables (701 px) and on a tablet: every column, Pause and
// Resume among them, is on the screen without scrolling the table
// sideways.
func TestConsoleTablesFitATablet(t *testing.T) {
	b := browser(t, 3*time.Minute)
	const long = "nightly_backup_of_all_the_databases_of_the_production_cluster_x"
	pbs := map[string]string{long: `version: 1
name: ` + long + `
description: Dump the databases
schedule: {cron: "30 2 * * *", timezone: America/Argentina/ComodRivadavia}
steps:
  - {id: dump, op: shell.exec, with: {command: ["true"]}}
`}
	for name, text := range layoutPlaybooks {
		pbs[name] = text
	}
	s := startSite(t, pbs)
	seed(t, s)
	s.wait(s.start("alice", long, nil))
	ctx := tab(t, b)
	s.signIn(t, ctx, "alice")
	for _, vp := range []viewport{{"narrow", 701, 900, 1, false}, tablet, {"laptop", 1024, 700, 1, false}} {
		for _, p := range []struct{ path, ready string }{
			{"/schedules", `document.querySelectorAll('#schedules tbody tr').length === 3`},
			{"/runs", `document.querySelectorAll('#runs-list tbody tr').length >= 10`},
		} {
			look(t, ctx, vp, false)
			do(t, ctx, "open "+p.path, chromedp.Navigate(s.url+p.path))
			waitFor(t, ctx, p.path, p.ready)
			if got := eval[string](t, ctx, `(() => {
				const wrap = document.querySelector('main .table-wrap'), edge = wrap.getBoundingClientRect().right + 0.5;
				const out = [];
				if (wrap.scrollWidth > wrap.clientWidth) out.push('the table is ' + (wrap.scrollWidth - wrap.clientWidth) + ' px wider than its place');
				for (const el of wrap.querySelectorAll('button, th')) {
					if (el.getBoundingClientRect().right > edge) out.push(el.textContent + ' ends ' + Math.round(el.getBoundingClientRect().right - edge) + ' px past it');
				}
				return out.join('; ');
			})()`); got != "" {
				t.Errorf("%s at %s: %s", p.path, vp.name, got)
			}
			if p.path == "/schedules" {
				if got := eval[string](t, ctx, zoneBreaksJS); got != "" {
					t.Errorf("at %s the time zone breaks inside a word: %s", vp.name, got)
				}
			}
		}
	}
}

// zoneBreaksJS lists, for each schedule's time zone, the lines it is
// broken into when one of them ends inside a word: a zone breaks after a
// "/" or at a space only ("America/Argentina/ | ComodRivadavia"), never
// "ComodRivad | avia".
const zoneBreaksJS = `(() => {
	const out = [];
	for (const el of document.querySelectorAll('#schedules .zone')) {
		const lines = [];
		let top = null;
		for (const node of [...el.childNodes].filter((n) => n.nodeType === Node.TEXT_NODE)) {
			for (let i = 0; i < node.length; i++) {
				const r = document.createRange();
				r.setStart(node, i);
				r.setEnd(node, i + 1);
				const box = r.getClientRects()[0];
				if (!box) continue;
				if (top === null || box.top > top + 2) lines.push('');
				top = box.top;
				lines[lines.length - 1] += node.data[i];
			}
		}
		if (lines.slice(0, -1).some((l) => !/[/ ]$/.test(l) && !/^ /.test(lines[lines.indexOf(l) + 1]))) out.push(lines.join(' | '));
	}
	return out.join('; ');
})()`
