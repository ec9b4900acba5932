package console

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/google/go-cmp/cmp"

	"github.com/arsenal-run/arsenal-run/pkg/report"
)

// The playbooks of the form tests.
var formPlaybooks = map[string]string{
	// Inputs named like the properties and methods of a <form>, which a
	// form's controls shadow by name.
	"names": `version: 1
name: names
inputs:
  append: {type: bool}
  submit: {type: string, default: go}
  action: {type: string, default: act}
  method: {type: string, default: post}
  elements: {type: list, default: [a]}
  length: {type: integer, default: 3, min: 1, max: 9}
  id: {type: string, default: x}
  name: {type: string, required: true}
steps:
  - {id: say, op: control.log, with: {message: "${{ inputs.name }} ${{ inputs.append }} ${{ inputs.length }}"}}
`,
	"tune": `version: 1
name: tune
inputs:
  hosts: {type: list, default: [web-1]}
  batch: {type: integer, default: 2, min: 1, max: 10}
steps:
  - {id: look, op: control.noop}
  - {id: tune, op: control.log, with: {message: "${{ len(inputs.hosts) }} hosts, ${{ inputs.batch }} at a time"}}
`,
	"hello": testPlaybooks["hello"],
}

// TestFormFieldsNamedLikeFormProperties starts a playbook whose inputs are
// called append, submit, action, method, elements, length, id and name,
// and executes file.write, whose params include append: each form is
// drawn, checked and sent whatever its fields are called.
func TestFormFieldsNamedLikeFormProperties(t *testing.T) {
	b := browser(t, 3*time.Minute)
	s := startSite(t, formPlaybooks)
	ctx := tab(t, b)
	s.signIn(t, ctx, "alice")

	t.Run("playbook inputs", func(t *testing.T) {
		do(t, ctx, "open the form", chromedp.Navigate(s.url+"/playbooks/names"), chromedp.WaitVisible(chromedp.ID("start")))
		got := eval[string](t, ctx, `[...document.querySelectorAll('#start .field [name]')].map(c => c.getAttribute('name')).join(' ')`)
		if want := "append submit action method elements length id name dry_run"; got != want {
			t.Errorf("the form's fields: %q, want %q", got, want)
		}
		waitFor(t, ctx, "the verdict to ask for the name", `document.querySelector('#preflight').textContent.includes('To run it, fill in: name.')`)
		do(t, ctx, "fill in the name and tick append", sendKeys(chromedp.CSS("#start [name=name]"), "ada"),
			chromedp.Click(chromedp.CSS("#start [name=append]")))
		waitFor(t, ctx, "Run to be enabled", `!document.getElementById('run').disabled && document.querySelector('#preflight .verdict.allowed')`)
		if got := eval[string](t, ctx, `document.querySelector('#preflight .verdict').textContent`); got != "Its one step is allowed for your roles." {
			t.Errorf("the verdict: %q", got)
		}
		do(t, ctx, "press Run", chromedp.Click(chromedp.ID("run")))
		waitFor(t, ctx, "the run page", `location.pathname.startsWith('/runs/')`)
		rep := s.wait(strings.TrimPrefix(eval[string](t, ctx, `location.pathname`), "/runs/"))
		want := map[string]any{"append": true, "submit": "go", "action": "act", "method": "post", "elements": []any{"a"}, "length": 3, "id": "x", "name": "ada"}
		if diff := cmp.Diff(want, rep.Inputs); diff != "" || rep.Status != report.StatusSucceeded {
			t.Errorf("the run %s, its inputs (-want +got):\n%s", rep.Status, diff)
		}
	})

	t.Run("operation params", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "note.txt")
		os.WriteFile(path, []byte("one\n"), 0o644)
		do(t, ctx, "open the operations", chromedp.Navigate(s.url+"/operations"), chromedp.WaitVisible(chromedp.CSS(`details.op[data-op="file.write"]`)))
		do(t, ctx, "open file.write", chromedp.Evaluate[chromedp.Void](`document.querySelector('details.op[data-op="file.write"]').open = true`))
		waitFor(t, ctx, "its execute form", `!!document.querySelector('details.op[data-op="file.write"] form.execute [name=append]')`)
		got := eval[string](t, ctx, `(() => { const d = document.querySelector('details.op[data-op="file.write"]');
			return [...d.querySelectorAll('h3')].map(e => e.textContent).join(' ') + ' | ' + [...d.querySelectorAll('form.execute [name]')].map(c => c.getAttribute('name')).join(' '); })()`)
		if want := "Params Output Execute | append check content create_dirs mode path timeout"; got != want {
			t.Errorf("file.write's card: %q, want %q", got, want)
		}
		op := `details.op[data-op="file.write"] form.execute `
		do(t, ctx, "append a line", sendKeys(chromedp.CSS(op+"[name=path]"), path), sendKeys(chromedp.CSS(op+"[name=content]"), "two"),
			chromedp.Click(chromedp.CSS(op+"[name=append]")), chromedp.Click(chromedp.CSS(op+"button[type=submit]")))
		waitFor(t, ctx, "the result", `document.querySelector('details.op[data-op="file.write"] .result').textContent.includes('Succeeded')`)
		if b, _ := os.ReadFile(path); string(b) != "one\ntwo" {
			t.Errorf("the file holds %q, want the line appended", b)
		}
	})
}

// TestFormFieldsThePageCannotRead types text into a number field and bad
// JSON into a list field: each shows what is wrong under it, Run stays
// disabled, and the other fields are still checked by the preflight.
func TestFormFieldsThePageCannotRead(t *testing.T) {
	b := browser(t, 3*time.Minute)
	s := startSite(t, formPlaybooks)
	ctx := tab(t, b)
	s.signIn(t, ctx, "oncall")
	do(t, ctx, "open the form", chromedp.Navigate(s.url+"/playbooks/tune"), chromedp.WaitVisible(chromedp.ID("start")))
	waitFor(t, ctx, "Run to be enabled", `!document.getElementById('run').disabled`)

	// Bad JSON in the hosts says what is wrong, and the batch is still
	// checked: out of range, it gets the server's message.
	do(t, ctx, "type bad JSON in the hosts", chromedp.Evaluate[chromedp.Void](`document.querySelector('#start [name=hosts]').value = ''`), sendKeys(chromedp.CSS("#start [name=hosts]"), `["web-1",`))
	waitFor(t, ctx, "the hosts' message", fieldError("hosts", `not valid JSON`))
	if got := eval[string](t, ctx, `document.querySelector('#start [name=hosts]').closest('.field').querySelector('.field-error').textContent`); !strings.HasSuffix(got, `write a list, like ["a", "b"]`) {
		t.Errorf("the hosts' message: %q", got)
	}
	do(t, ctx, "give a batch out of range", chromedp.SetValue(chromedp.CSS("#start [name=batch]"), ""), sendKeys(chromedp.CSS("#start [name=batch]"), "20"))
	waitFor(t, ctx, "the range message by the batch", fieldError("batch", "20 is out of range"))
	if !eval[bool](t, ctx, `document.getElementById('run').disabled && document.querySelector('#preflight').textContent.includes('To run it, correct: hosts, batch.')`) {
		t.Error("with bad JSON in the hosts Run is enabled, or the preflight does not say so")
	}

	// Text that is not a number in the batch: not taken for its default.
	do(t, ctx, "type 5e in the batch", chromedp.SetValue(chromedp.CSS("#start [name=batch]"), ""), sendKeys(chromedp.CSS("#start [name=batch]"), "5e"))
	waitFor(t, ctx, "the batch's message", fieldError("batch", "not a number"))
	do(t, ctx, "fix the hosts", chromedp.Evaluate[chromedp.Void](`document.querySelector('#start [name=hosts]').value = ''`), sendKeys(chromedp.CSS("#start [name=hosts]"), `["web-1", "web-2"]`))
	waitFor(t, ctx, "only the batch to be wrong", `document.querySelector('#preflight').textContent.includes('To run it, correct: batch.')`)
	if !eval[bool](t, ctx, `document.getElementById('run').disabled`) {
		t.Error("Run is enabled with 5e in the batch")
	}
	do(t, ctx, "press the disabled Run", chromedp.Click(chromedp.ID("run")))
	time.Sleep(300 * time.Millisecond) // a started run would have moved the page by now
	if p := eval[string](t, ctx, `location.pathname`); p != "/playbooks/tune" {
		t.Errorf("pressing Run with 5e in the batch moved to %s", p)
	}

	do(t, ctx, "fix the batch", chromedp.SetValue(chromedp.CSS("#start [name=batch]"), ""), sendKeys(chromedp.CSS("#start [name=batch]"), "4"))
	waitFor(t, ctx, "Run to be enabled", `!document.getElementById('run').disabled && document.querySelector('#preflight .verdict.allowed')`)
	if got := eval[string](t, ctx, `[...document.querySelectorAll('#start .field-error')].filter(e => !e.hidden).length + ' ' + document.querySelector('#preflight .verdict').textContent`); got != "0 All 2 steps are allowed for your roles." {
		t.Errorf("after fixing the batch: %q", got)
	}
	do(t, ctx, "press Run", chromedp.Click(chromedp.ID("run")))
	waitFor(t, ctx, "the run page", `location.pathname.startsWith('/runs/')`)
	if rep := s.wait(strings.TrimPrefix(eval[string](t, ctx, `location.pathname`), "/runs/")); rep.Inputs["batch"] != 4 || len(rep.Inputs["hosts"].([]any)) != 2 {
		t.Errorf("the run's inputs: %v", rep.Inputs)
	}
}
