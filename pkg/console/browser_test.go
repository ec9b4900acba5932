package console

import (
	"context"
	"maps"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"github.com/arsenal-run/arsenal-run/pkg/report"
)

// The playbooks of the browser tests.
var testPlaybooks = map[string]string{
	"deploy": `version: 1
name: deploy
description: Roll a release out to an environment
inputs:
  version: {type: string, required: true, description: the release to roll out}
  environment: {type: string, enum: [staging, production], default: staging}
  canary: {type: bool, default: true}
  batch: {type: integer, default: 2, min: 1, max: 10}
  token: {type: string, secret: true, default: s3cr3t-token}
steps:
  - {id: announce, op: control.log, with: {message: "deploying ${{ inputs.version }} to ${{ inputs.environment }}"}}
  - id: roll
    op: shell.exec
    with: {script: "for i in 1 2 3 4 5; do echo rolled batch $i; sleep 0.3; done"}
  - {id: verify, op: control.noop}
`,
	"approve": `version: 1
name: approve
description: Check the workers, then restart them once someone says yes
steps:
  - {id: check, op: control.noop}
  - {id: restart, op: shell.exec, confirm: "Restart the workers now?", with: {command: [echo, restarted]}}
`,
	"slow": `version: 1
name: slow
description: Wait an hour, then tidy up
steps:
  - {id: nap, op: control.sleep, with: {duration: 1h}}
finally:
  - {id: tidy, op: control.log, with: {message: tidied}}
`,
	"write": `version: 1
name: write
description: Look, then change something
steps:
  - {id: look, op: control.noop}
  - {id: change, op: shell.exec, with: {command: ["true"]}}
`,
	"xss": `version: 1
name: xss
steps:
  - id: echo
    op: shell.exec
    with:
      command: [printf, "%s\n", "<script>window.__pwned=1</script>", "\"><img src=x onerror=\"window.__pwned=2\">"]
  - {id: boom, op: control.fail, with: {message: "<b>bold</b>\"><img src=y onerror=\"window.__pwned=3\">"}}
`,
	"hello": `version: 1
name: hello
steps:
  - {id: hi, op: control.noop}
`,
}

// TestConsoleInBrowser drives the console in headless Chromium against a
// real server on a loopback port: the behaviours an on-call engineer
// relies on, each a subtest sharing one browser and one server.
func TestConsoleInBrowser(t *testing.T) {
	b := browser(t, 4*time.Minute)
	// deploy's last line of output waits for the gate file, which the
	// test makes once it has seen the first line live: however slowly
	// the page opens, the run is still running when it does.
	gate := filepath.Join(t.TempDir(), "gate")
	playbooks := maps.Clone(testPlaybooks)
	playbooks["deploy"] = strings.Replace(playbooks["deploy"], `with: {script: "for i in 1 2 3 4 5; do echo rolled batch $i; sleep 0.3; done"}`,
		`with: {command: [sh, -c, 'for i in 1 2 3 4; do echo rolled batch $i; done; while [ ! -e "$1" ]; do sleep 0.05; done; echo rolled batch 5', sh, `+jsString(gate)+`]}`, 1)
	if playbooks["deploy"] == testPlaybooks["deploy"] {
		t.Fatal("deploy's roll step is not the one the test gates")
	}
	s := startSite(t, playbooks)
	oncall := tab(t, b)

	t.Run("sign in with a key", func(t *testing.T) {
		ctx := tab(t, b)
		do(t, ctx, "open the console", chromedp.Navigate(s.url+"/runs"), chromedp.WaitVisible(chromedp.ID("key")))
		if got := eval[string](t, ctx, `document.getElementById('key').type + ' ' + document.getElementById('key').labels[0].textContent`); got != "password API key" {
			t.Errorf("the key field: %q", got)
		}
		// Signed out, neither the navigation nor Sign out shows.
		shown := `['nav', 'who', 'signout'].filter(id => document.getElementById(id).getClientRects().length > 0).join(' ')`
		if got := eval[string](t, ctx, shown); got != "" {
			t.Errorf("signed out, the page shows %q", got)
		}
		do(t, ctx, "sign in with a wrong key", sendKeys(chromedp.ID("key"), "ak_not_a_key"), chromedp.Click(chromedp.CSS("#signin button[type=submit]")))
		waitFor(t, ctx, "the refusal", `document.getElementById('signin-status').textContent.includes('not valid')`)
		do(t, ctx, "sign in", sendKeys(chromedp.ID("key"), s.keys["oncall"]), chromedp.Click(chromedp.CSS("#signin button[type=submit]")))
		waitFor(t, ctx, "the runs page", `location.pathname === '/runs' && document.querySelector('h1') && document.querySelector('h1').textContent === 'Runs'`)
		who := eval[string](t, ctx, `document.getElementById('who-name').textContent`)
		if who != "oncall (operator)" {
			t.Errorf("signed in as %q", who)
		}
		if got := eval[string](t, ctx, shown); got != "nav who signout" {
			t.Errorf("signed in, the page shows %q of nav who signout", got)
		}
		// The key is kept nowhere the page can reach; the session cookie
		// is HttpOnly.
		kept := eval[string](t, ctx, `[document.cookie, JSON.stringify(localStorage), JSON.stringify(sessionStorage), String(!!document.getElementById('key'))].join('|')`)
		if kept != "|{}|{}|false" || strings.Contains(kept, s.keys["oncall"]) {
			t.Errorf("after sign-in the page holds %q", kept)
		}
	})

	s.signIn(t, oncall, "oncall")

	t.Run("start from the generated form and watch it live", func(t *testing.T) {
		ctx := oncall
		do(t, ctx, "open the form", chromedp.Navigate(s.url+"/playbooks/deploy"), chromedp.WaitVisible(chromedp.ID("start")))
		form := eval[string](t, ctx, `(() => {
			const f = document.getElementById('start').elements;
			const lab = (el) => el.labels[0].textContent;
			return [f.version.required, lab(f.version), f.environment.tagName, [...f.environment.options].map(o => o.textContent).join('/'),
				f.environment.selectedOptions[0].textContent, f.canary.type, f.canary.checked, f.batch.type, f.batch.value, f.batch.min, f.batch.max,
				f.token.type, f.token.value].join(' ');
		})()`)
		if want := "true version (required) SELECT staging/production staging checkbox true number 2 1 10 password "; form != want {
			t.Errorf("the generated form:\n got %q\nwant %q", form, want)
		}
		// The required input is missing: the preflight says so, Run stays
		// disabled, and once the user has been in the field the server's
		// message shows by it.
		waitFor(t, ctx, "the verdict to ask for the version", `document.querySelector('#preflight').textContent.includes('To run it, fill in: version.')`)
		if !eval[bool](t, ctx, `document.getElementById('run').disabled`) {
			t.Error("Run is enabled with a required input missing")
		}
		do(t, ctx, "leave the version empty", chromedp.Focus(chromedp.CSS("#start [name=version]")), chromedp.Focus(chromedp.CSS("#start [name=batch]")))
		waitFor(t, ctx, "the missing input's message by its field", fieldError("version", "version is required"))
		// A value the server refuses: its message shows by the field.
		do(t, ctx, "give a batch out of range", chromedp.SetValue(chromedp.CSS("#start [name=batch]"), ""), sendKeys(chromedp.CSS("#start [name=batch]"), "20"),
			sendKeys(chromedp.CSS("#start [name=version]"), "v1.4.2"))
		// A preflight may be answered between the batch and the version
		// (300 ms after the batch's last keystroke, on a slow machine),
		// the version still missing: the page has settled when the
		// version's message is gone and the batch's is there.
		versionSaid := `document.querySelector('#start [name=version]').getAttribute('aria-describedby').split(' ').map(id => document.getElementById(id)).find(el => el.classList.contains('field-error'))`
		waitFor(t, ctx, "the range message by its field, the version's gone", fieldError("batch", "20 is out of range: it must be between 1 and 10")+` && `+versionSaid+`.hidden`)
		if !eval[bool](t, ctx, `document.getElementById('run').disabled`) {
			t.Error("with a bad batch Run is enabled")
		}
		do(t, ctx, "fix the batch", chromedp.SetValue(chromedp.CSS("#start [name=batch]"), ""), sendKeys(chromedp.CSS("#start [name=batch]"), "3"))
		waitFor(t, ctx, "the preflight to allow the run", `!document.getElementById('run').disabled && document.querySelector('#preflight .verdict.allowed')`)
		if n := eval[int](t, ctx, `document.querySelectorAll('#preflight li.allowed').length`); n != 3 {
			t.Errorf("%d steps allowed in the preflight, want 3", n)
		}
		do(t, ctx, "press Run", chromedp.Click(chromedp.ID("run")))
		waitFor(t, ctx, "the run page", `location.pathname.startsWith('/runs/') && document.querySelector('li.step[data-step=roll]')`)
		// The page updates live: the step's output lines arrive while the
		// run is still running, then the run ends succeeded.
		waitFor(t, ctx, "a live output line while the run runs", `(() => {
			const log = document.querySelector('li.step[data-step=roll] pre.log');
			return !!log && log.textContent.includes('rolled batch 1') && !log.textContent.includes('rolled batch 5') &&
				!!document.querySelector('.run-status .b-running') && !!document.querySelector('li.step[data-step=roll][data-status=running]');
		})()`)
		if err := os.WriteFile(gate, nil, 0o644); err != nil {
			t.Fatal(err)
		}
		waitFor(t, ctx, "the run to succeed", `!!document.querySelector('.run-status .b-succeeded')`)
		got := eval[string](t, ctx, `[...document.querySelectorAll('li.step')].map(li => li.dataset.step + ':' + li.dataset.status).join(' ') + ' | ' +
			document.querySelector('li.step[data-step=roll] pre.log').textContent.split('\n').length`)
		if got != "announce:succeeded roll:succeeded verify:succeeded | 5" {
			t.Errorf("steps and output lines at the end: %q", got)
		}
		waitFor(t, ctx, "the timeline", `(() => { const i = document.querySelector('img.timeline'); return i.src.startsWith('blob:') && i.complete && i.naturalWidth > 300; })()`)
		id := strings.TrimPrefix(eval[string](t, ctx, `location.pathname`), "/runs/")
		rep := s.wait(id)
		if rep.Inputs["version"] != "v1.4.2" || rep.Inputs["token"] != "***" || rep.Inputs["batch"] != 3 || rep.Status != report.StatusSucceeded {
			t.Errorf("the run's report: %s, inputs %v", rep.Status, rep.Inputs)
		}
	})

	t.Run("answer a confirm step in the page", func(t *testing.T) {
		ctx := oncall
		do(t, ctx, "open the form", chromedp.Navigate(s.url+"/playbooks/approve"), chromedp.WaitVisible(chromedp.ID("start")))
		waitFor(t, ctx, "Run to be enabled", `!document.getElementById('run').disabled`)
		do(t, ctx, "press Run", chromedp.Click(chromedp.ID("run")))
		waitFor(t, ctx, "the question", `!!document.querySelector('.question[data-step=restart] button[data-answer=yes]') && document.querySelector('.question-text').textContent === 'Restart the workers now?' &&
			!!document.querySelector('li.step[data-step=restart][data-status=waiting]')`)
		if !eval[bool](t, ctx, `!!document.querySelector('.run-status .b-running')`) {
			t.Error("the run is not running while it asks")
		}
		do(t, ctx, "answer yes", chromedp.Click(chromedp.CSS(".question[data-step=restart] button[data-answer=yes]")))
		waitFor(t, ctx, "the run to succeed", `!!document.querySelector('.run-status .b-succeeded')`)
		waitFor(t, ctx, "who answered", `(document.querySelector('li.step[data-step=restart] .confirmation') || {}).textContent?.includes('yes by oncall')`)
		id := strings.TrimPrefix(eval[string](t, ctx, `location.pathname`), "/runs/")
		rep := s.wait(id)
		if c := rep.Steps[1].Confirmation; c == nil || c.By != "oncall" || c.Answer != "yes" {
			t.Errorf("the report's confirmation: %+v", c)
		}
	})

	t.Run("cancel a run", func(t *testing.T) {
		ctx := oncall
		id := s.start("oncall", "slow", nil)
		do(t, ctx, "open the run", chromedp.Navigate(s.url+"/runs/"+id), chromedp.WaitVisible(chromedp.ID("cancel")))
		waitFor(t, ctx, "the step to run", `!!document.querySelector('li.step[data-step=nap][data-status=running]')`)
		cancelRun(t, ctx)
		waitFor(t, ctx, "the run to be cancelled", `!!document.querySelector('.run-status .b-cancelled')`)
		if got := eval[string](t, ctx, `[...document.querySelectorAll('li.step')].map(li => li.dataset.step + ':' + li.dataset.status).join(' ')`); got != "nap:cancelled tidy:succeeded" {
			t.Errorf("steps after the cancel: %q", got)
		}
		if rep := s.wait(id); rep.Status != report.StatusCancelled || !strings.Contains(rep.Error.Message, "oncall") {
			t.Errorf("the report: %s %+v", rep.Status, rep.Error)
		}
	})

	t.Run("a viewer's preflight denies the write step and Run stays disabled", func(t *testing.T) {
		ctx := tab(t, b)
		s.signIn(t, ctx, "auditor")
		do(t, ctx, "open the form", chromedp.Navigate(s.url+"/playbooks/write"), chromedp.WaitVisible(chromedp.ID("start")))
		waitFor(t, ctx, "the denial", `!!document.querySelector('#preflight li.denied[data-step=change]')`)
		got := eval[string](t, ctx, `document.querySelector('#preflight .verdict').textContent + ' | ' + document.querySelector('#preflight li.denied').textContent + ' | ' +
			document.querySelector('#preflight li.allowed').dataset.step + ' | ' + document.getElementById('run').disabled`)
		if !strings.Contains(got, "1 of 2 steps would be denied for your roles (viewer)") || !strings.Contains(got, "denied change · shell.exec (write) — no rule of role viewer allows shell.exec") || !strings.HasSuffix(got, "| look | true") {
			t.Errorf("the viewer's preflight: %q", got)
		}
		do(t, ctx, "press the disabled Run", chromedp.Click(chromedp.ID("run")))
		time.Sleep(300 * time.Millisecond) // a started run would have moved the page by now
		if p := eval[string](t, ctx, `location.pathname`); p != "/playbooks/write" {
			t.Errorf("pressing the disabled Run moved to %s", p)
		}
		if _, m := s.api("alice", "GET", "/api/v1/runs?playbook=write", nil); len(m["runs"].([]any)) != 0 {
			t.Errorf("runs of write: %v", m["runs"])
		}
	})

	t.Run("output and errors holding markup are shown as text", func(t *testing.T) {
		ctx := oncall
		id := s.start("oncall", "xss", nil)
		s.wait(id)
		do(t, ctx, "open the run", chromedp.Navigate(s.url+"/runs/"+id))
		waitFor(t, ctx, "the failed run", `!!document.querySelector('.run-status .b-failed') && !!document.querySelector('li.step[data-step=echo] pre.out-text')`)
		do(t, ctx, "open the steps", chromedp.Evaluate[chromedp.Void](`document.querySelectorAll('li.step details').forEach(d => d.open = true)`))
		got := eval[string](t, ctx, `[document.querySelector('li.step[data-step=echo] pre.out-text').textContent,
			document.querySelector('li.step[data-step=boom] .error-text').textContent,
			String(window.__pwned), document.querySelectorAll('img[src=x], img[src=y], main script, main b').length].join('\n')`)
		want := "<script>window.__pwned=1</script>\n\"><img src=x onerror=\"window.__pwned=2\">\n\n" +
			"<b>bold</b>\"><img src=y onerror=\"window.__pwned=3\">\nundefined\n0"
		if got != want {
			t.Errorf("the page shows:\n%s\nwant:\n%s", got, want)
		}
	})

	t.Run("the runs list keeps the keyboard focus while it updates", func(t *testing.T) {
		ctx := oncall
		s.wait(s.start("oncall", "hello", nil))
		s.wait(s.start("oncall", "hello", nil))
		do(t, ctx, "open the runs", chromedp.Navigate(s.url+"/runs"), chromedp.WaitVisible(chromedp.CSS("#runs-list tbody a")))
		href := eval[string](t, ctx, `(() => { const a = document.querySelectorAll('#runs-list tbody a')[1]; a.focus(); return a.getAttribute('href'); })()`)
		// A run started meanwhile comes in at the top of the list.
		id := s.start("oncall", "hello", nil)
		s.wait(id)
		waitFor(t, ctx, "the new run in the list", `document.querySelector('#runs-list tbody tr').dataset.run === `+jsString(id))
		if got := eval[string](t, ctx, `document.activeElement.getAttribute('href') || document.activeElement.tagName`); got != href {
			t.Errorf("after the update the focus is on %q, want the link %q", got, href)
		}
	})

	t.Run("a request without the CSRF token is refused", func(t *testing.T) {
		ctx := oncall
		do(t, ctx, "open the console", chromedp.Navigate(s.url+"/runs"), chromedp.WaitVisible(chromedp.CSS("#runs-list")))
		got := eval[string](t, ctx, `(async () => {
			const post = (headers) => fetch('/api/v1/playbooks/hello/runs', {method: 'POST', credentials: 'same-origin',
				headers: Object.assign({'Content-Type': 'application/json'}, headers), body: '{}'});
			const none = await post({});
			const body = await none.json();
			const wrong = await post({'X-CSRF-Token': 'forged'});
			const me = await (await fetch('/api/v1/session')).json();
			const right = await post({'X-CSRF-Token': me.csrf_token});
			return [none.status, body.error.message.includes('CSRF'), wrong.status, right.status].join(' ');
		})()`)
		if got != "403 true 403 202" {
			t.Errorf("without, with a wrong, and with the token: %q", got)
		}
	})

	t.Run("sign out and the old cookie is refused", func(t *testing.T) {
		ctx := oncall
		cookie := sessionCookie(t, ctx, s.url)
		if cookie == nil || !cookie.HTTPOnly || cookie.SameSite != network.CookieSameSiteStrict {
			t.Fatalf("the session cookie: %+v", cookie)
		}
		do(t, ctx, "open the console", chromedp.Navigate(s.url+"/runs"), chromedp.WaitVisible(chromedp.ID("signout")))
		do(t, ctx, "sign out", chromedp.Click(chromedp.ID("signout")))
		waitFor(t, ctx, "the sign-in form", `!!document.getElementById('signin') && location.pathname === '/signin'`)
		if c := sessionCookie(t, ctx, s.url); c != nil {
			t.Errorf("the browser kept the cookie: %+v", c)
		}
		req, _ := http.NewRequest("GET", s.url+"/api/v1/runs", nil)
		req.AddCookie(&http.Cookie{Name: cookie.Name, Value: cookie.Value})
		res, err := s.http.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != http.StatusUnauthorized {
			t.Errorf("the replayed cookie: %d, want 401", res.StatusCode)
		}
		do(t, ctx, "reload", chromedp.Navigate(s.url+"/runs"), chromedp.WaitVisible(chromedp.ID("key")))
	})
}

// fieldError is a predicate: the form field called name shows, in the
// element its aria-describedby names for errors, a message containing
// text.
func fieldError(name, text string) string {
	return `(() => { const c = document.querySelector('#start [name=` + name + `]');
		const e = c && c.getAttribute('aria-describedby').split(' ').map(id => document.getElementById(id)).find(el => el.classList.contains('field-error'));
		return e && !e.hidden && e.textContent.includes(` + jsString(text) + `) && c.getAttribute('aria-invalid') === 'true'; })()`
}

// sessionCookie reads the session cookie from the browser (HttpOnly
// cookies included), or nil.
func sessionCookie(t *testing.T, ctx context.Context, url string) *network.Cookie {
	t.Helper()
	var found *network.Cookie
	do(t, ctx, "read the cookies", chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		res, err := cdp.Call(ctx, tg, network.GetCookies, network.GetCookiesParams{URLs: []string{url}})
		if err != nil {
			return err
		}
		for _, c := range res.Cookies {
			if c.Name == "arsenal_session" {
				found = c
			}
		}
		return nil
	}))
	return found
}
