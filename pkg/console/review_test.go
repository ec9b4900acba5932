package console

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/arsenal-run/arsenal-run/pkg/report"
)

// The playbooks of the tests below.
var reviewPlaybooks = map[string]string{
	"greet": `version: 1
name: greet
inputs:
  who: {type: string, default: world}
  note: {type: string, default: ""}
  token: {type: string, secret: true, default: "x"}
steps:
  - {id: hi, op: control.log, with: {message: "hello ${{ inputs.who }}"}}
`,
	"sizes": `version: 1
name: sizes
inputs:
  who: {type: string, required: true}
  count: {type: integer, default: 2, min: 1, max: 10}
  size: {type: integer, default: 2, min: 1, max: 10}
steps:
  - {id: hi, op: control.noop}
`,
	"write":  testPlaybooks["write"],
	"slow":   testPlaybooks["slow"],
	"hello":  testPlaybooks["hello"],
	"tune":   formPlaybooks["tune"],
	"denied": "version: 1\nname: denied\nsteps:\n  - {id: sh, op: shell.exec, with: {command: [\"true\"]}}\n",
}

// TestRerunLeavesMaskedInputsEmpty: "Run again with the same inputs" of a
// run whose report masked part of a non-secret input (the secret's value
// occurs in it) leaves that input empty and flagged, names it in the note,
// and keeps Run disabled until it is given again; it never sends the
// masked text.
func TestRerunLeavesMaskedInputsEmpty(t *testing.T) {
	b := browser(t, 3*time.Minute)
	s := startSite(t, reviewPlaybooks)
	id := s.start("oncall", "greet", map[string]any{"who": "bonobo", "note": "plain", "token": "on"})
	if rep := s.wait(id); rep.Inputs["who"] != "b***obo" {
		t.Fatalf("the report's who is %v; the test needs it masked", rep.Inputs["who"])
	}
	ctx := tab(t, b)
	s.signIn(t, ctx, "oncall")
	do(t, ctx, "run it again", chromedp.Navigate(s.url+"/playbooks/greet?rerun="+id), chromedp.WaitVisible(chromedp.ID("start")))
	waitFor(t, ctx, "the masked input's flag", fieldError("who", "masked in the report of run "+id))
	got := eval[string](t, ctx, `[document.querySelector('#start [name=who]').value, document.querySelector('#start [name=note]').value,
		document.getElementById('rerun-note').textContent].join(' | ')`)
	if !strings.HasPrefix(got, " | plain | ") || !strings.Contains(got, "who was masked in its report (it contains a secret's value) and is left empty: give it again.") {
		t.Errorf("the form: %q", got)
	}
	waitFor(t, ctx, "the summary to ask for it", `document.querySelector('#preflight').textContent.includes('To run it, give again: who')`)
	if !eval[bool](t, ctx, `document.getElementById('run').disabled`) {
		t.Error("Run is enabled with the masked input empty")
	}
	do(t, ctx, "give it again", sendKeys(chromedp.CSS("#start [name=who]"), "bonobo"), sendKeys(chromedp.CSS("#start [name=token]"), "on"))
	waitFor(t, ctx, "Run to be enabled", `!document.getElementById('run').disabled && document.querySelector('#preflight .verdict.allowed')`)
	do(t, ctx, "press Run", chromedp.Click(chromedp.ID("run")))
	waitFor(t, ctx, "the run page", `location.pathname.startsWith('/runs/')`)
	if s.wait(strings.TrimPrefix(eval[string](t, ctx, `location.pathname`), "/runs/")).Status != report.StatusSucceeded {
		t.Error("the run again did not succeed")
	}
}

// TestFormSummaryNamesEveryField: the summary above Run names every field
// with a problem, those the server's preflight flagged too, in the form's
// order.
func TestFormSummaryNamesEveryField(t *testing.T) {
	b := browser(t, 3*time.Minute)
	s := startSite(t, reviewPlaybooks)
	ctx := tab(t, b)
	s.signIn(t, ctx, "oncall")
	do(t, ctx, "open the form", chromedp.Navigate(s.url+"/playbooks/tune"), chromedp.WaitVisible(chromedp.ID("start")))
	waitFor(t, ctx, "Run to be enabled", `!document.getElementById('run').disabled`)
	do(t, ctx, "give a batch out of range", chromedp.SetValue(chromedp.CSS("#start [name=batch]"), ""), sendKeys(chromedp.CSS("#start [name=batch]"), "20"))
	waitFor(t, ctx, "the range message by the batch", fieldError("batch", "20 is out of range"))
	waitFor(t, ctx, "the summary to name the batch", `document.querySelector('#preflight').textContent.includes('To run it, correct: batch.')`)
	do(t, ctx, "type bad JSON in the hosts", chromedp.Evaluate[chromedp.Void](`document.querySelector('#start [name=hosts]').value = ''`), sendKeys(chromedp.CSS("#start [name=hosts]"), `["web-1",`))
	waitFor(t, ctx, "the summary to name both", `document.querySelector('#preflight').textContent.includes('To run it, correct: hosts, batch.')`)
}

// TestFormValueOverTheBodyLimit: a value too long for the server's bound
// on a request is flagged under its field, with the bound, not as a
// message about a body naming no field.
func TestFormValueOverTheBodyLimit(t *testing.T) {
	b := browser(t, 3*time.Minute)
	s := startSite(t, reviewPlaybooks)
	ctx := tab(t, b)
	s.signIn(t, ctx, "oncall")
	do(t, ctx, "open the form", chromedp.Navigate(s.url+"/playbooks/greet"), chromedp.WaitVisible(chromedp.ID("start")))
	waitFor(t, ctx, "Run to be enabled", `!document.getElementById('run').disabled`)
	do(t, ctx, "paste 2,000,000 characters", chromedp.Evaluate[chromedp.Void](`(() => { const c = document.querySelector('#start [name=note]');
		c.value = 'x'.repeat(2000000); c.dispatchEvent(new Event('input', { bubbles: true })); })()`))
	waitFor(t, ctx, "the message by the note", fieldError("note", "too long: this value takes 2,000,002 bytes, and the server takes at most 1,048,576 bytes"))
	got := eval[string](t, ctx, `document.getElementById('run').disabled + ' ' + document.querySelector('#preflight').textContent`)
	if !strings.HasPrefix(got, "true ") || !strings.Contains(got, "To run it, correct: note.") || strings.Contains(got, "the body is") {
		t.Errorf("with the long note: %q", got)
	}
	if fieldErr := eval[string](t, ctx, `[...document.querySelectorAll('#start .field-error')].filter(e => !e.hidden).length + ''`); fieldErr != "1" {
		t.Errorf("%s fields flagged, want the note alone", fieldErr)
	}
}

// TestDeniedRunsShowAsDenied: a run that authorization refused before
// anything ran shows as denied, not failed, in the runs list, on its
// playbook's card and on its page; the API still says failed.
func TestDeniedRunsShowAsDenied(t *testing.T) {
	b := browser(t, 3*time.Minute)
	s := startSite(t, reviewPlaybooks)
	code, m := s.api("auditor", "POST", "/api/v1/playbooks/denied/runs", map[string]any{})
	id, _ := m["error"].(map[string]any)["run_id"].(string)
	if code != 403 || id == "" {
		t.Fatalf("the refused start: %d %v", code, m)
	}
	if rep := s.wait(id); rep.Status != report.StatusFailed || rep.Error == nil || rep.Error.Class != "authorization" {
		t.Fatalf("the refused run's report: %s %+v", rep.Status, rep.Error)
	}
	failed := s.start("oncall", "write", nil)
	s.wait(failed)
	ctx := tab(t, b)
	s.signIn(t, ctx, "alice")
	do(t, ctx, "open the runs", chromedp.Navigate(s.url+"/runs"), chromedp.WaitVisible(chromedp.CSS("#runs-list tbody")))
	waitFor(t, ctx, "the denied run's badge", `!!document.querySelector('#runs-list tr[data-run="`+id+`"] .badge.b-denied')`)
	if got := eval[string](t, ctx, `document.querySelector('#runs-list tr[data-run="`+id+`"] .badge').textContent`); got != "⊘ denied" {
		t.Errorf("the denied run's badge reads %q", got)
	}
	do(t, ctx, "open the playbooks", chromedp.Navigate(s.url+"/playbooks"), chromedp.WaitVisible(chromedp.CSS(`li.card[data-playbook=denied]`)))
	// The card says "looking…" until the last runs are read.
	waitFor(t, ctx, "the card's last run", `!!document.querySelector('li.card[data-playbook=denied] .badge')`)
	if !eval[bool](t, ctx, `!!document.querySelector('li.card[data-playbook=denied] .badge.b-denied') && !document.querySelector('li.card[data-playbook=denied] .badge.b-failed')`) {
		t.Error("the playbook's card shows its last run as failed")
	}
	do(t, ctx, "open the playbook", chromedp.Navigate(s.url+"/playbooks/denied"), chromedp.WaitVisible(chromedp.CSS("table.runs")))
	if !eval[bool](t, ctx, `!!document.querySelector('table.runs .badge.b-denied')`) {
		t.Error("the playbook's last runs show the refused run as failed")
	}
	do(t, ctx, "open the run", chromedp.Navigate(s.url+"/runs/"+id))
	waitFor(t, ctx, "the run's status", `!!document.querySelector('.run-status .badge.b-denied')`)
	_, r := s.api("alice", "GET", "/api/v1/runs/"+id, nil)
	if r["status"] != "failed" {
		t.Errorf("the API's status: %v", r["status"])
	}
}

// TestRunPressedBeforeThePreflight: Run pressed before the preflight
// caught up with the form shows the server's problems under their own
// fields, without the command line's advice, as the preflight does.
func TestRunPressedBeforeThePreflight(t *testing.T) {
	b := browser(t, 3*time.Minute)
	s := startSite(t, reviewPlaybooks)
	ctx := tab(t, b)
	s.signIn(t, ctx, "oncall")
	do(t, ctx, "open the form", chromedp.Navigate(s.url+"/playbooks/sizes"), chromedp.WaitVisible(chromedp.ID("start")))
	do(t, ctx, "give who", sendKeys(chromedp.CSS("#start [name=who]"), "ada"))
	waitFor(t, ctx, "Run to be enabled", `!document.getElementById('run').disabled`)
	// Whatever a field's message says at any moment is kept: the debounced
	// preflight may correct the page a moment later.
	do(t, ctx, "watch the fields' messages", chromedp.Evaluate[chromedp.Void](`(() => { window.__said = [];
		new MutationObserver(() => document.querySelectorAll('#start .field-error').forEach((e) => { if (!e.hidden) window.__said.push(e.textContent); }))
			.observe(document.getElementById('start'), { subtree: true, childList: true, characterData: true, attributes: true }); })()`))
	do(t, ctx, "spoil three fields and press Run at once", chromedp.Evaluate[chromedp.Void](`(() => {
		const set = (name, v) => { const c = document.querySelector('#start [name=' + name + ']'); c.value = v; c.dispatchEvent(new Event('input', { bubbles: true })); };
		set('who', ''); set('count', '20'); set('size', '30');
		document.getElementById('run').click(); })()`))
	// The page settles with each problem under its field and no advice of
	// the command line's anywhere (a debounced preflight may redraw the
	// fields meanwhile, so both are read in one look).
	const said = `[...document.querySelectorAll('#start .field-error')].filter(e => !e.hidden).map(e => e.textContent).join(' | ') + ' || ' + document.getElementById('form-status').textContent`
	waitFor(t, ctx, "each problem by its field, and no command-line advice", fieldError("who", "who is required")+" && "+fieldError("count", "20 is out of range")+" && "+fieldError("size", "30 is out of range")+
		" && ((t) => !t.includes('--input') && !t.includes('inputs:') && t.split('out of range').length === 3)("+said+")")
	if got := eval[string](t, ctx, said); strings.Contains(got, "--input") || strings.Contains(got, "inputs:") {
		t.Errorf("the form says: %q", got)
	}
	for _, said := range eval[[]string](t, ctx, `window.__said`) {
		if strings.Contains(said, "--input") || strings.Contains(said, "inputs:") {
			t.Errorf("a field said, for a while: %q", said)
			break
		}
	}
	if p := eval[string](t, ctx, `location.pathname`); p != "/playbooks/sizes" {
		t.Errorf("the page moved to %s", p)
	}
}

// TestRunPageWhileTheServerIsDown: when the server goes away under a run's
// page, the page says the connection is lost, stops its duration and
// disables Cancel, instead of showing a run that goes on.
func TestRunPageWhileTheServerIsDown(t *testing.T) {
	b := browser(t, 3*time.Minute)
	s := startSite(t, reviewPlaybooks)
	ctx := tab(t, b)
	s.signIn(t, ctx, "oncall")
	id := s.start("oncall", "slow", nil)
	do(t, ctx, "open the run", chromedp.Navigate(s.url+"/runs/"+id), chromedp.WaitVisible(chromedp.ID("cancel")))
	waitFor(t, ctx, "the step to run", `!!document.querySelector('li.step[data-step=nap][data-status=running]')`)
	if eval[bool](t, ctx, `!!document.querySelector('#connection').textContent`) {
		t.Error("connected, the page says the connection is lost")
	}
	stop, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	s.srv.Shutdown(stop)
	waitFor(t, ctx, "the notice", `document.querySelector('#connection').textContent.includes('Connection lost, reconnecting')`)
	if !eval[bool](t, ctx, `document.getElementById('cancel').disabled`) {
		t.Error("Cancel is enabled while the server cannot be reached")
	}
	first := eval[string](t, ctx, `document.querySelector('dd.duration').textContent`)
	time.Sleep(2200 * time.Millisecond)
	if again := eval[string](t, ctx, `document.querySelector('dd.duration').textContent`); again != first {
		t.Errorf("the duration goes on while the server is down: %q, then %q", first, again)
	}
}
