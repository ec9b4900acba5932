package console

import (
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// TestStartFormOfAChangedPlaybook: the playbook is changed on the server
// while its form is open (SIGHUP): an input it no longer takes, and one
// it now requires, which the form has no field for. Each is said, the
// first under its field, with what to do: reload the page.
func TestStartFormOfAChangedPlaybook(t *testing.T) {
	b := browser(t, 2*time.Minute)
	s := startSite(t, map[string]string{"tune": formPlaybooks["tune"]})
	ctx := tab(t, b)
	s.signIn(t, ctx, "oncall")
	do(t, ctx, "open the form", chromedp.Navigate(s.url+"/playbooks/tune"), chromedp.WaitVisible(chromedp.ID("start")))
	waitFor(t, ctx, "Run to be enabled", `!document.getElementById('run').disabled`)

	s.editPlaybook("tune", `version: 1
name: tune
inputs:
  hosts: {type: list, default: [web-1]}
  region: {type: string, required: true}
steps:
  - {id: look, op: control.noop}
`)
	do(t, ctx, "change the hosts", sendKeys(chromedp.CSS("#start [name=hosts]"), " "))
	waitFor(t, ctx, "the batch's message", `document.querySelector('#start [name=batch][aria-invalid=true]')`)
	if got, want := eval[string](t, ctx, `document.querySelector('#start [name=batch]').closest('.field').querySelector('.field-error').textContent`),
		"the playbook no longer takes this input: it was changed on the server since this page was opened; reload the page for its form as it is now"; got != want {
		t.Errorf("the batch's message:\n got %s\nwant %s", got, want)
	}
	if got := eval[string](t, ctx, `document.querySelector('#preflight .error').textContent`); !strings.Contains(got, "region") || !strings.HasSuffix(got, "the playbook has an input this form has no field for; it was changed on the server since this page was opened; reload the page for its form as it is now") {
		t.Errorf("the preflight's message of the new input: %q", got)
	}
	if !eval[bool](t, ctx, `document.getElementById('run').disabled`) {
		t.Error("Run is enabled")
	}
}
