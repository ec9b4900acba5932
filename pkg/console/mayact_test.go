package console

import (
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// TestRunPageShowsOnlyWhatTheServerTakes: on an admin's run, each viewer
// sees the controls the server would take from them, judged by the
// server's own checks, and why not for the others. The operator, whose
// roles could have started the run, may cancel it and answer its
// questions, but not say yes to a file.delete its file roots would not
// reach as the run's do: that question has No alone, with why, also when
// it comes by the event stream while the page is open. The viewer, who
// could not have started the run, has no Cancel and no answers, and reads
// why.
func TestRunPageShowsOnlyWhatTheServerTakes(t *testing.T) {
	b := browser(t, 3*time.Minute)
	s := startSite(t, map[string]string{"purge": `version: 1
name: purge
inputs:
  target: {type: string, required: true}
steps:
  - {id: gate, op: control.noop, confirm: "Begin?"}
  - {id: purge, op: file.delete, needs: [gate], confirm: "Delete it?", with: {path: "${{ inputs.target }}", missing_ok: true}}
`})
	dir := t.TempDir()
	s.usePolicy(t, dir, "version: 1\nroles:\n  admin: {max_risk: destructive}\n  operator: {max_risk: destructive, file_roots: ["+filepath.Join(dir, "app")+"]}\n  viewer: {max_risk: read}\n")
	code, m := s.api("alice", "POST", "/api/v1/playbooks/purge/runs", map[string]any{"inputs": map[string]any{"target": filepath.Join(t.TempDir(), "gone")}, "ask": true})
	if code != 202 {
		t.Fatalf("start: %d %v", code, m)
	}
	id := m["run_id"].(string)
	t.Cleanup(func() { s.api("alice", "POST", "/api/v1/runs/"+id+"/cancel", nil) })

	oncall := tab(t, b)
	s.signIn(t, oncall, "oncall")
	do(t, oncall, "open the admin's run", chromedp.Navigate(s.url+"/runs/"+id))
	waitFor(t, oncall, "the first question", `!!document.querySelector(".question[data-step=gate] button")`)
	if !eval[bool](t, oncall, `!!document.getElementById('cancel') && !document.getElementById('cancel-refused')`) {
		t.Errorf("the operator, who could have started the run, is not offered Cancel run")
	}
	if code, body := s.api("alice", "POST", "/api/v1/runs/"+id+"/confirm", map[string]any{"step": "gate", "answer": "yes"}); code != 200 {
		t.Fatalf("answering the first question: %d %v", code, body)
	}
	purge := `document.querySelector('.question[data-step=purge]')`
	waitFor(t, oncall, "the second question, judged", `!!`+purge+` && !!`+purge+`.querySelector('.yes-refused')`)
	got := eval[string](t, oncall, `[...`+purge+`.querySelectorAll('button')].map(b => b.textContent).join('/') + ' | ' + `+purge+`.querySelector('.yes-refused').textContent`)
	if !strings.HasPrefix(got, "No, do not run it | You may answer no, not yes: ") || !strings.Contains(got, "other file roots") {
		t.Errorf("the operator's question of a file.delete their roots do not reach: %q", got)
	}
	// A screen reader is told only No is offered, not to answer it.
	waitFor(t, oncall, "the question said as No alone", `(document.querySelector('main p.sr-only[aria-live]') || {}).textContent === 'Step purge asks: Delete it? You may answer No, not Yes: it is under Waiting for an answer, at the top of the page.'`)
	do(t, oncall, "open the run again", chromedp.Navigate(s.url+"/runs/"+id))
	waitFor(t, oncall, "the question said as No alone on a page just opened", `((document.querySelector('main p.sr-only[aria-live]') || {}).textContent || '').endsWith('You may answer No, not Yes: it is under Waiting for an answer, at the top of the page.')`)
	// The server refuses that yes indeed, and takes the no.
	if code, _ := s.api("oncall", "POST", "/api/v1/runs/"+id+"/confirm", map[string]any{"step": "purge", "answer": "yes"}); code != 403 {
		t.Errorf("the operator's yes: %d, want 403", code)
	}

	auditor := tab(t, b)
	s.signIn(t, auditor, "auditor")
	do(t, auditor, "open the admin's run", chromedp.Navigate(s.url+"/runs/"+id))
	waitFor(t, auditor, "the question", `!!`+purge)
	got = eval[string](t, auditor, `[String(!!document.getElementById('cancel')), (document.getElementById('cancel-refused') || {}).textContent,
		`+purge+`.querySelectorAll('button').length, `+purge+`.querySelector('.answer-refused').textContent].join(' | ')`)
	if !strings.HasPrefix(got, "false | You may not cancel this run: auditor did not start run "+id+" and could not have started it: ") ||
		!strings.Contains(got, " | 0 | Someone who may run this playbook must answer it; your roles may not (auditor did not start run") {
		t.Errorf("the viewer's run page: %q", got)
	}
	if code, _ := s.api("auditor", "POST", "/api/v1/runs/"+id+"/cancel", nil); code != 403 {
		t.Errorf("the viewer's cancel: %d, want 403", code)
	}
}
