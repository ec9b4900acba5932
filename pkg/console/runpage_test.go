package console

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/arsenal-run/arsenal-run/pkg/report"
)

// The playbooks of the run page tests.
var runPagePlaybooks = map[string]string{
	// A second run of hold waits in the queue until the first ends.
	"hold": `version: 1
name: hold
concurrency: {group: hold, policy: queue}
steps:
  - {id: nap, op: control.sleep, with: {duration: 1h}}
`,
	"approve": testPlaybooks["approve"],
	"slow":    testPlaybooks["slow"],
}

// TestRunPageFacts opens runs in the states whose facts the page must get
// right: queued, saying what it waits for there and in the runs list, and
// then started, declined at a confirm: question, and
// cancelled.
func TestRunPageFacts(t *testing.T) {
	b := browser(t, 3*time.Minute)
	s := startSite(t, runPagePlaybooks)
	ctx := tab(t, b)
	s.signIn(t, ctx, "oncall")
	facts := `[...document.querySelectorAll('main > dl.facts dt')].map(dt => dt.textContent + ': ' + dt.nextElementSibling.textContent).join('\n')`

	t.Run("a queued run, then started", func(t *testing.T) {
		first := s.start("oncall", "hold", nil)
		h, _ := s.mgr.Get(first)
		for h.Status() != "running" {
			time.Sleep(20 * time.Millisecond)
		}
		second := s.start("oncall", "hold", nil)
		do(t, ctx, "open the queued run", chromedp.Navigate(s.url+"/runs/"+second))
		waitFor(t, ctx, "the queued run", `!!document.querySelector('.run-status .b-queued') && !!document.querySelector('main > dl.facts dd.duration')`)
		got := eval[string](t, ctx, facts)
		if !strings.Contains(got, "Started: queued, not started yet: waiting for concurrency group \"hold\"\nDuration: —\n") {
			t.Errorf("the queued run's facts:\n%s", got)
		}
		do(t, ctx, "open the runs", chromedp.Navigate(s.url+"/runs"))
		row := `document.querySelector('tr[data-run="` + second + `"] .waits')`
		waitFor(t, ctx, "the queued run's row", "!!"+row)
		if got := eval[string](t, ctx, row+".textContent"); got != `waiting for concurrency group "hold"` {
			t.Errorf("the queued run's row says %q", got)
		}
		if n := eval[int](t, ctx, `document.querySelectorAll('tr[data-run="`+first+`"] .waits').length`); n != 0 {
			t.Errorf("the running run's row has %d waiting notes", n)
		}
		do(t, ctx, "open the queued run again", chromedp.Navigate(s.url+"/runs/"+second))
		waitFor(t, ctx, "the queued run", `!!document.querySelector('.run-status .b-queued') && !!document.querySelector('main > dl.facts dd.duration')`)
		s.api("oncall", "POST", "/api/v1/runs/"+first+"/cancel", nil)
		waitFor(t, ctx, "the run to start", `!!document.querySelector('.run-status .b-running') && !!document.querySelector('main > dl.facts dd.started time')`)
		started := eval[string](t, ctx, `document.querySelector('main > dl.facts dd.started time').getAttribute('datetime')`)
		if at, err := time.Parse(time.RFC3339, started); err != nil || time.Since(at) > time.Minute || time.Since(at) < -time.Minute {
			t.Errorf("the started run's start: %q", started)
		}
		waitFor(t, ctx, "the duration to count from the start", `/^\d+(\.\d)? s$|^\d+ ms$/.test(document.querySelector('main > dl.facts dd.duration').textContent)`)
		s.api("oncall", "POST", "/api/v1/runs/"+second+"/cancel", nil)
		s.wait(first)
		s.wait(second)
	})

	t.Run("a declined question", func(t *testing.T) {
		do(t, ctx, "open the form", chromedp.Navigate(s.url+"/playbooks/approve"), chromedp.WaitVisible(chromedp.ID("start")))
		waitFor(t, ctx, "Run to be enabled", `!document.getElementById('run').disabled`)
		do(t, ctx, "press Run", chromedp.Click(chromedp.ID("run")))
		waitFor(t, ctx, "the question", `!!document.querySelector('.question[data-step=restart] button[data-answer=no]')`)
		do(t, ctx, "answer no", chromedp.Click(chromedp.CSS(".question[data-step=restart] button[data-answer=no]")))
		waitFor(t, ctx, "the run to end", `!document.querySelector('.run-status .b-running') && !!document.querySelector('li.step[data-step=restart] .confirmation')`)
		got := eval[string](t, ctx, `(() => { const dd = document.querySelector('li.step[data-step=restart] .confirmation');
			return dd.previousElementSibling.textContent + ': ' + dd.textContent; })()`)
		if !strings.HasPrefix(got, "Declined: answered no by oncall at ") {
			t.Errorf("the step's confirmation: %q", got)
		}
		boxes := eval[[]string](t, ctx, `[...document.querySelectorAll('main .error')].map(e => e.textContent)`)
		if len(boxes) == 0 {
			t.Error("no error box")
		}
		twice := regexp.MustCompile(`^declined:?\s*declined`)
		for _, box := range boxes {
			if twice.MatchString(box) {
				t.Errorf("an error box says declined twice: %q", box)
			}
		}
	})

	t.Run("cancel a run", func(t *testing.T) {
		id := s.start("oncall", "slow", nil)
		do(t, ctx, "open the run", chromedp.Navigate(s.url+"/runs/"+id), chromedp.WaitVisible(chromedp.ID("cancel")))
		waitFor(t, ctx, "the step to run", `!!document.querySelector('li.step[data-step=nap][data-status=running]')`)
		cancelRun(t, ctx)
		waitFor(t, ctx, "the toast", `document.getElementById('toast').textContent !== ''`)
		if got := eval[string](t, ctx, `document.getElementById('toast').textContent`); got != "Cancelling: running steps are stopped, then on_cancel and finally run." {
			t.Errorf("the toast: %q", got)
		}
		waitFor(t, ctx, "the run to be cancelled", `!!document.querySelector('.run-status .b-cancelled')`)
		if got := eval[string](t, ctx, `document.querySelector('main p.sr-only[aria-live]').textContent`); got != "The run was cancelled." {
			t.Errorf("the live region says %q", got)
		}
		if rep := s.wait(id); rep.Status != report.StatusCancelled {
			t.Errorf("the run: %s", rep.Status)
		}
	})
}

// cancelRun presses Cancel run and confirms it.
func cancelRun(t *testing.T, ctx context.Context) {
	t.Helper()
	do(t, ctx, "press Cancel run", chromedp.Click(chromedp.ID("cancel")))
	do(t, ctx, "confirm", chromedp.WaitVisible(chromedp.ID("cancel-confirm")), chromedp.Click(chromedp.ID("cancel-confirm")))
}

// TestCancelAsksFirst presses Cancel run on a running run: the page asks
// first, naming the playbook and what cancelling does, with the focus on
// Keep running; Keep running and Escape leave the run running, and only
// the confirmation cancels it.
func TestCancelAsksFirst(t *testing.T) {
	b := browser(t, 3*time.Minute)
	s := startSite(t, runPagePlaybooks)
	ctx := tab(t, b)
	s.signIn(t, ctx, "oncall")
	id := s.start("oncall", "slow", nil)
	do(t, ctx, "open the run", chromedp.Navigate(s.url+"/runs/"+id), chromedp.WaitVisible(chromedp.ID("cancel")))
	waitFor(t, ctx, "the step to run", `!!document.querySelector('li.step[data-step=nap][data-status=running]')`)
	running := func(what string) {
		t.Helper()
		time.Sleep(300 * time.Millisecond) // a cancel would have reached the run by now
		if h, _ := s.mgr.Get(id); h.Status() != "running" {
			t.Fatalf("after %s the run is %s", what, h.Status())
		}
	}

	do(t, ctx, "press Cancel run", chromedp.Click(chromedp.ID("cancel")))
	waitFor(t, ctx, "the question", `!!document.getElementById('cancel-question')`)
	got := eval[string](t, ctx, `(() => { const q = document.getElementById('cancel-question');
		const by = (a) => q.getAttribute(a).split(' ').map(id => document.getElementById(id).textContent).join(' ');
		return [q.getAttribute('role'), by('aria-labelledby'), by('aria-describedby'),
			[...q.querySelectorAll('button')].map(b => b.textContent).join('/'), document.activeElement.id, String(!!document.getElementById('cancel'))].join(' | '); })()`)
	want := "group | Cancel this run of slow? | Its running steps are stopped; then its on_cancel and finally steps, if it has any, run, and on_failure is skipped. | Cancel run/Keep running | cancel-keep | false"
	if got != want {
		t.Errorf("the question:\n got %q\nwant %q", got, want)
	}
	running("the question")

	do(t, ctx, "press Keep running", chromedp.Click(chromedp.ID("cancel-keep")))
	waitFor(t, ctx, "Cancel run again, focused", `!document.getElementById('cancel-question') && document.activeElement === document.getElementById('cancel')`)
	running("Keep running")

	do(t, ctx, "press Cancel run, then Escape", chromedp.Click(chromedp.ID("cancel")), chromedp.WaitVisible(chromedp.ID("cancel-keep")),
		chromedp.KeyEvent(kb.Escape))
	waitFor(t, ctx, "the question to go", `!document.getElementById('cancel-question') && !!document.getElementById('cancel')`)
	running("Escape")

	cancelRun(t, ctx)
	waitFor(t, ctx, "the run to be cancelled", `!!document.querySelector('.run-status .b-cancelled')`)
	if rep := s.wait(id); rep.Status != report.StatusCancelled {
		t.Errorf("the run: %s", rep.Status)
	}
}

// fanPlaybook fans out over items without a label (strings: only a map's
// name is a label), each printing a line; all but alpha then wait for the
// gate file, so that the test sees items running and one finished.
const fanPlaybook = `version: 1
name: fan
inputs:
  gate: {type: string, required: true}
  hosts: {type: list, default: [alpha, beta, gamma]}
steps:
  - id: each
    op: shell.exec
    foreach: inputs.hosts
    concurrency: 3
    with:
      command: [sh, -c, 'echo "working on $1"; [ "$1" = alpha ] || while [ ! -e "$2" ]; do sleep 0.05; done; echo "done with $1"', sh, "${{ item }}", "${{ inputs.gate }}"]
`

// TestRunPageItemsWithoutLabels follows a fan-out whose items have no
// label, opened once one item has finished (the run's snapshot has it).
// The item events of an item without a label carry a preview of its value,
// so while the run goes on each row shows the item's value and its latest
// line of output, with no note that values are missing; once the run
// ends, the rows show the report's values and outputs.
func TestRunPageItemsWithoutLabels(t *testing.T) {
	b := browser(t, 3*time.Minute)
	s := startSite(t, map[string]string{"fan": fanPlaybook})
	ctx := tab(t, b)
	s.signIn(t, ctx, "oncall")
	gate := filepath.Join(t.TempDir(), "gate")
	id := s.start("oncall", "fan", map[string]any{"gate": gate})
	t.Cleanup(func() { os.WriteFile(gate, nil, 0o644) }) // a failed test does not leave the run waiting
	cells := func(label string) string {
		return `[...document.querySelectorAll('li.step[data-step=each] tr[data-item]')].map(tr => tr.querySelector('td[data-label="` + label + `"]').textContent).join(' / ')`
	}
	note := `(document.querySelector('li.step[data-step=each] .items-note') || {}).textContent`

	h, _ := s.mgr.Get(id)
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		if rep := h.Snapshot(); rep != nil && len(rep.Steps) == 1 && len(rep.Steps[0].Items) == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("item alpha did not finish")
		}
	}
	do(t, ctx, "open the run", chromedp.Navigate(s.url+"/runs/"+id))
	waitFor(t, ctx, "each item's line of output", cells("Error or output")+` === 'done with alpha / working on beta / working on gamma'`)
	if got := eval[string](t, ctx, cells("Item")+` + ' | ' + `+cells("Status")); got != "alpha / beta / gamma | ✓ succeeded / ● running / ● running" {
		t.Errorf("the items' Item and Status: %s", got)
	}
	if eval[bool](t, ctx, `!!document.querySelector('li.step[data-step=each] .items-note')`) {
		t.Errorf("while the run goes on, a note says %q", eval[string](t, ctx, note))
	}

	if err := os.WriteFile(gate, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	waitFor(t, ctx, "the run to end", `!!document.querySelector('.run-status .b-succeeded')`)
	waitFor(t, ctx, "the items' values", cells("Item")+` === 'alpha / beta / gamma'`)
	if got := eval[string](t, ctx, cells("Error or output")); got != "done with alpha / done with beta / done with gamma" {
		t.Errorf("the ended items' output: %s", got)
	}
	if eval[bool](t, ctx, `!!document.querySelector('li.step[data-step=each] .items-note')`) {
		t.Errorf("after the run a note says %q", eval[string](t, ctx, note))
	}
	if rep := s.wait(id); rep.Status != report.StatusSucceeded {
		t.Errorf("the run: %s", rep.Status)
	}
}

// TestRunPageSaysWhyItRetries: an attempt that succeeded but whose
// retry.until is false is noted as such, not as a failure with no error.
func TestRunPageSaysWhyItRetries(t *testing.T) {
	b := browser(t, 3*time.Minute)
	// The first attempt ends only once the page is open: the notes come
	// from the live events, and a page slow to open (a loaded machine)
	// would otherwise come after the run's end.
	gate := filepath.Join(t.TempDir(), "gate")
	s := startSite(t, map[string]string{"settle": `version: 1
name: settle
steps:
  - id: wait
    op: shell.exec
    with: {script: "while [ ! -e ` + gate + ` ]; do sleep 0.05; done"}
    retry: {attempts: 2, delay: 5s, until: "attempt >= 2"}
`})
	ctx := tab(t, b)
	s.signIn(t, ctx, "oncall")
	id := s.start("oncall", "settle", nil)
	t.Cleanup(func() { os.WriteFile(gate, nil, 0o644) }) // a failed test does not leave the run waiting
	do(t, ctx, "open the run", chromedp.Navigate(s.url+"/runs/"+id))
	waitFor(t, ctx, "the first attempt", `!!document.querySelector('li.step[data-step=wait][data-status=running]')`)
	if err := os.WriteFile(gate, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	notes := `[...document.querySelectorAll('li.step[data-step=wait] ul.notes li')].map(li => li.textContent).join(' / ')`
	waitFor(t, ctx, "the step's notes", notes+` !== ''`)
	if got, want := eval[string](t, ctx, notes), "attempt 1 succeeded, but retry.until (attempt >= 2) is false; trying again in 5.0 s"; got != want {
		t.Errorf("the notes: %q, want %q", got, want)
	}
	if rep := s.wait(id); rep.Status != report.StatusSucceeded {
		t.Errorf("the run: %s", rep.Status)
	}
}

// TestRunsListMarksDryRuns: the runs page marks a dry run beside its
// playbook's name, so that it does not pass for one that changed
// something; a real run has no mark.
func TestRunsListMarksDryRuns(t *testing.T) {
	b := browser(t, 3*time.Minute)
	s := startSite(t, map[string]string{"settle": "version: 1\nname: settle\nsteps:\n  - {id: wait, op: control.noop}\n"})
	ctx := tab(t, b)
	s.signIn(t, ctx, "oncall")
	real := s.start("oncall", "settle", nil)
	code, m := s.api("oncall", "POST", "/api/v1/playbooks/settle/runs", map[string]any{"dry_run": true})
	if code != 202 {
		t.Fatalf("start a dry run: %d %v", code, m)
	}
	dry := m["run_id"].(string)
	s.wait(real)
	s.wait(dry)
	do(t, ctx, "open the runs", chromedp.Navigate(s.url+"/runs"))
	mark := func(id string) string {
		return `((document.querySelector('#runs-list tr[data-run="` + id + `"] .dry-run') || {}).textContent || '(none)')`
	}
	waitFor(t, ctx, "both runs", `document.querySelectorAll('#runs-list tr[data-run]').length === 2`)
	if got := eval[string](t, ctx, mark(dry)+` + ' | ' + `+mark(real)); got != "dry run | (none)" {
		t.Errorf("the marks of the dry run and the real one: %s", got)
	}
}

// TestRunPageItemErrorKeepsItsLines: a failed item's error, whose stderr
// tail is several lines, reads as those lines in the items table, not run
// together into one.
func TestRunPageItemErrorKeepsItsLines(t *testing.T) {
	b := browser(t, 2*time.Minute)
	s := startSite(t, map[string]string{"disks": `version: 1
name: disks
steps:
  - id: check
    op: shell.exec
    foreach: "[1, 2]"
    fail_fast: false
    env: {ITEM: "${{ item }}"}
    with:
      script: |
        [ "$ITEM" = 1 ] && exit 0
        echo "sector 1 unreadable" >&2
        echo "sector 2 unreadable" >&2
        exit 3
`})
	id := s.start("oncall", "disks", nil)
	s.wait(id)
	ctx := tab(t, b)
	s.signIn(t, ctx, "oncall")
	do(t, ctx, "open the run", chromedp.Navigate(s.url+"/runs/"+id))
	cell := `document.querySelector('li.step[data-step=check] tr[data-item="1"] td[data-label="Error or output"]')`
	waitFor(t, ctx, "the failed item's error", cell)
	do(t, ctx, "open the step", chromedp.Evaluate[chromedp.Void](`document.querySelector('li.step[data-step=check] details').open = true`))
	got := eval[string](t, ctx, cell+`.innerText`)
	if !strings.Contains(got, "unreadable\nsector 2 unreadable") {
		t.Errorf("the failed item's error reads %q, want its stderr's lines kept apart", got)
	}
}

// TestRunPageMarksCachedItems: a fan-out's items answered by the result
// cache say so in the items table, where a try count would be, rather
// than "—" as if nothing had happened; an item that ran has its tries.
func TestRunPageMarksCachedItems(t *testing.T) {
	b := browser(t, 2*time.Minute)
	s := startSite(t, map[string]string{"cached": `version: 1
name: cached
steps:
  - id: each
    op: control.log
    foreach: '["a", "b"]'
    cache: {ttl: 1h}
    with: {message: "${{ item }}"}
`})
	s.wait(s.start("oncall", "cached", nil))
	id := s.start("oncall", "cached", nil)
	if rep := s.wait(id); !rep.Steps[0].Items[0].Cached {
		t.Fatalf("the second run's items were not served from the cache: %+v", rep.Steps[0].Items)
	}
	ctx := tab(t, b)
	s.signIn(t, ctx, "oncall")
	do(t, ctx, "open the run", chromedp.Navigate(s.url+"/runs/"+id))
	tries := `[...document.querySelectorAll('li.step[data-step=each] tr[data-item] td[data-label="Tries"]')].map(td => td.textContent).join(' / ')`
	waitFor(t, ctx, "the items table", `document.querySelectorAll('li.step[data-step=each] tr[data-item]').length === 2`)
	if got := eval[string](t, ctx, tries); got != "cached / cached" {
		t.Errorf("the cached items' Tries: %q, want cached / cached", got)
	}
}

// TestRunPageOfAnEndedRunAsksNoQuestions: a run that has ended asks
// nothing, and the server answers its questions with a conflict, so its
// page does not read them (a failed request in the browser's console on
// every finished run), and offers Run again, not Cancel.
func TestRunPageOfAnEndedRunAsksNoQuestions(t *testing.T) {
	b := browser(t, 3*time.Minute)
	s := startSite(t, map[string]string{"settle": "version: 1\nname: settle\nsteps:\n  - {id: wait, op: control.noop}\n"})
	id := s.start("oncall", "settle", nil)
	s.wait(id)
	ctx := tab(t, b)
	s.signIn(t, ctx, "oncall")
	do(t, ctx, "open the run", chromedp.Navigate(s.url+"/runs/"+id))
	waitFor(t, ctx, "Run again", `[...document.querySelectorAll('main a.button')].some(a => a.textContent === 'Run again with the same inputs')`)
	got := eval[string](t, ctx, `performance.getEntriesByType('resource').map(e => new URL(e.name).pathname).filter(p => p.startsWith('/api/v1/runs/')).join(' ')`)
	if strings.Contains(got, "/questions") {
		t.Errorf("the page of an ended run read its questions: %s", got)
	}
	if eval[bool](t, ctx, `!!document.getElementById('cancel')`) {
		t.Error("the page of an ended run offers Cancel")
	}
}

// TestRunPageNamesTheRollingBatch: while a serial: fan-out runs, its
// step's header names the batch under way by its items' labels, from
// the live batch events.
func TestRunPageNamesTheRollingBatch(t *testing.T) {
	b := browser(t, 3*time.Minute)
	// The second batch waits for the gate, which the test opens once the
	// page has named it: a page slow to open (a loaded machine) would
	// otherwise come after the run's end.
	gate := filepath.Join(t.TempDir(), "gate")
	s := startSite(t, map[string]string{"roll": `version: 1
name: roll
steps:
  - id: restart
    op: shell.exec
    foreach: '[{"name": "web-1", "held": false}, {"name": "web-2", "held": false}, {"name": "web-3", "held": true}, {"name": "web-4", "held": true}]'
    serial: 2
    env: {HELD: "${{ item.held }}"}
    with: {script: 'if [ "$HELD" = true ]; then while [ ! -e ` + gate + ` ]; do sleep 0.05; done; fi'}
`})
	ctx := tab(t, b)
	s.signIn(t, ctx, "oncall")
	id := s.start("oncall", "roll", nil)
	t.Cleanup(func() { os.WriteFile(gate, nil, 0o644) }) // a failed test does not leave the run waiting
	do(t, ctx, "open the run", chromedp.Navigate(s.url+"/runs/"+id))
	head := `(document.querySelector('li.step[data-step=restart] .step-meta') || {}).textContent || ''`
	waitFor(t, ctx, "the batch under way", head+`.includes('batch 2 of 2: web-3..web-4')`)
	if err := os.WriteFile(gate, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if rep := s.wait(id); rep.Status != report.StatusSucceeded {
		t.Errorf("the run: %s", rep.Status)
	}
	waitFor(t, ctx, "the step's end", `document.querySelector('li.step[data-step=restart]').dataset.status === 'succeeded'`)
	if got := eval[string](t, ctx, head); strings.Contains(got, "batch") {
		t.Errorf("an ended step's header still names a batch: %q", got)
	}
}

// TestRunPageItemNeverStartedHasNoTime: a fan-out item that fail_fast
// cancelled before its turn has no time in the items table, as it has no
// tries: a dash, not the 0 ms of its report, which reads as an item that
// ran and ended at once.
func TestRunPageItemNeverStartedHasNoTime(t *testing.T) {
	b := browser(t, 2*time.Minute)
	s := startSite(t, map[string]string{"rollout": `version: 1
name: rollout
steps:
  - id: restart
    op: shell.exec
    foreach: '["web-1", "web-2", "web-3"]'
    concurrency: 1
    env: {HOST: "${{ item }}"}
    with: {script: '[ "$HOST" != web-2 ]'}
`})
	id := s.start("oncall", "rollout", nil)
	if rep := s.wait(id); rep.Steps[0].Items[2].Status != "cancelled" || rep.Steps[0].Items[2].StartedAt != nil {
		t.Fatalf("web-3 was not cancelled before its turn: %+v", rep.Steps[0].Items[2])
	}
	ctx := tab(t, b)
	s.signIn(t, ctx, "oncall")
	do(t, ctx, "open the run", chromedp.Navigate(s.url+"/runs/"+id))
	waitFor(t, ctx, "the items table", `document.querySelectorAll('li.step[data-step=restart] tr[data-item]').length === 3`)
	got := eval[string](t, ctx, `[...document.querySelectorAll('li.step[data-step=restart] tr[data-item]')].map((r) => r.querySelector('td[data-label=Status]').textContent.trim() + ' ' + r.querySelector('td[data-label=Time]').textContent + ' ' + r.querySelector('td[data-label=Tries]').textContent).join(' | ')`)
	if !strings.HasSuffix(got, "| ■ cancelled — —") || strings.Count(got, "—") != 2 {
		t.Errorf("the items' status, time and tries: %s; want web-3's time and tries a dash, the others' times", got)
	}
}
