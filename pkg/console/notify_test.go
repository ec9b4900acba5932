package console

import (
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/arsenal-run/arsenal-run/pkg/report"
)

// TestRunPageSaysWhatANotifyEntryReached: the card of a notify entry
// that failed says what its message reached, in the words of the run's
// summary ("not sent", "sent with the run summary in place of its own
// text"), in its header and as a Notification fact: live, from the
// step_finished event, and for the finished run, from the report. Before,
// both showed as the same plain failure, and whoever read the page could
// not tell the on-call was paged with the summary from nobody paged.
func TestRunPageSaysWhatANotifyEntryReached(t *testing.T) {
	b := browser(t, 2*time.Minute)
	down := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		http.Error(w, "no", http.StatusInternalServerError)
	}))
	defer down.Close()
	gate := make(chan struct{})
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		<-gate
	}))
	defer up.Close()
	defer func() {
		select {
		case <-gate:
		default:
			close(gate)
		}
	}()
	go_ := filepath.Join(t.TempDir(), "go")
	s := startSite(t, map[string]string{"paged": `version: 1
name: paged
steps:
  - {id: hold, op: shell.exec, with: {script: 'while [ ! -e ` + go_ + ` ]; do sleep 0.05; done'}}
  - {id: boom, op: control.fail, with: {message: rollout stuck}, needs: [hold]}
  - {id: check, op: control.noop, needs: [boom]}
notify:
  - id: nowhere
    on: [failure]
    webhook: {url: "` + down.URL + `/hook", text: "x"}
  - id: page
    on: [failure]
    webhook: {url: "` + up.URL + `/hook", text: "check said ${{ steps.check.output.result }}"}
`})
	id := s.start("oncall", "paged", nil)
	ctx := tab(t, b)
	s.signIn(t, ctx, "oncall")
	do(t, ctx, "open the run", chromedp.Navigate(s.url+"/runs/"+id))
	waitFor(t, ctx, "the held step", `!!document.querySelector('li.step[data-step=hold][data-status=running]')`)
	if err := os.WriteFile(go_, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	card := func(step, part string) string {
		return eval[string](t, ctx, `(document.querySelector('li.step[data-step=`+step+`] `+part+`') || {}).textContent || ''`)
	}
	// page waits on its server: nowhere's card is told by its event.
	waitFor(t, ctx, "nowhere's end", `!!document.querySelector('li.step[data-step=nowhere][data-status=failed]')`)
	if got := card("page", ".step-head"); strings.Contains(got, "failed") {
		t.Fatalf("page ended before its server answered: %q", got)
	}
	check := func(when string) {
		t.Helper()
		for step, want := range map[string]string{"nowhere": "not sent", "page": "sent with the run summary in place of its own text"} {
			if step == "page" && when == "live" {
				continue
			}
			if got := card(step, ".step-meta"); !strings.Contains(got, want) {
				t.Errorf("%s: %s's header %q lacks %q", when, step, got, want)
			}
			if got := card(step, "dl.facts"); !strings.Contains(got, "Notification"+want) {
				t.Errorf("%s: %s's facts %q lack Notification %q", when, step, got, want)
			}
		}
	}
	check("live")
	close(gate)
	s.wait(id)
	do(t, ctx, "open the finished run", chromedp.Navigate(s.url+"/runs/"+id))
	waitFor(t, ctx, "page's end", `!!document.querySelector('li.step[data-step=page][data-status=failed]')`)
	check("finished")

	// A report written before steps recorded their notification is read
	// from the step, and a fact the error already says is left out.
	got := eval[string](t, ctx, `import('/assets/js/step.js').then((m) => {
		const v = new m.StepView('mail', 'notify');
		v.update({ id: 'mail', section: 'notify', status: 'failed', op: 'notify.email', output: { recipients: 2, refused: ['c@example.com: 550'] },
			error: { class: 'validation', message: 'notify.email: sent to 2 of 3 recipients' } }, false);
		return v.head.textContent + ' | ' + v.body.textContent;
	})`)
	head, body, _ := strings.Cut(got, " | ")
	if !strings.Contains(head, "sent to 2 of 3 recipients") || strings.Contains(body, "Notification") {
		t.Errorf("an older report's email two of three got: header %q, body %q", head, body)
	}
}

// TestRunPageNotesANotifyEntryNotSent: a run that succeeded while its
// page went nowhere says so under its status, in the words of the
// report's first line, as a list a screen reader reads; a notify entry of
// one of its sub-runs says "not sent" in the sub-run's list of steps, as
// its card would. Before, the run's head said "succeeded" alone, and the
// sub-run's entry said "failed" with no word on what its message reached.
func TestRunPageNotesANotifyEntryNotSent(t *testing.T) {
	b := browser(t, 2*time.Minute)
	down := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		http.Error(w, "no", http.StatusInternalServerError)
	}))
	defer down.Close()
	hook := func(id string) string {
		return "notify:\n  - id: " + id + "\n    on: [success]\n    webhook: {url: \"" + down.URL + "/hook\", text: \"x\"}\n"
	}
	s := startSite(t, map[string]string{
		"outer": "version: 1\nname: outer\nsteps:\n  - {id: call, op: playbook.run, with: {path: inner.yaml}}\n" + hook("page"),
		"inner": "version: 1\nname: inner\nsteps:\n  - {id: ok, op: control.noop}\n" + hook("nowhere"),
	})
	id := s.start("oncall", "outer", nil)
	if rep := s.wait(id); rep.Status != report.StatusSucceeded {
		t.Fatalf("the run: %s", rep.Status)
	}
	ctx := tab(t, b)
	s.signIn(t, ctx, "oncall")
	do(t, ctx, "open the run", chromedp.Navigate(s.url+"/runs/"+id))
	waitFor(t, ctx, "page's card", `!!document.querySelector('li.step[data-step=page][data-status=failed]')`)
	notes := eval[string](t, ctx, `(() => {
		const ul = document.querySelector('ul.run-notes');
		if (!ul || !ul.checkVisibility()) return '';
		return ul.getAttribute('aria-label') + ': ' + [...ul.querySelectorAll('li')].map((li) => li.textContent).join(' | ');
	})()`)
	if want := "Notes on the run: not sent: notify page (the run's result does not depend on it)"; notes != want {
		t.Errorf("the run's notes: %q, want %q", notes, want)
	}
	sub := eval[string](t, ctx, `(document.querySelector('li.step[data-step=call] li.sub-step[data-step=nowhere] .sub-step-head') || {}).textContent || ''`)
	if !strings.Contains(sub, "failed") || !strings.Contains(sub, "not sent") {
		t.Errorf("the sub-run's notify entry: %q lacks \"not sent\"", sub)
	}
}
