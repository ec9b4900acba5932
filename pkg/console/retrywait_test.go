package console

import (
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// TestRunPageCountsDownRetryWait: while a step waits between two attempts
// of its retry, its card says so and counts the wait down, in a timer that
// is not read out each second, the page saying it once to screen readers;
// once the next attempt starts, the countdown goes.
func TestRunPageCountsDownRetryWait(t *testing.T) {
	b := browser(t, 3*time.Minute)
	dir := t.TempDir()
	mark, gate := filepath.Join(dir, "tried"), filepath.Join(dir, "gate")
	// The first attempt fails only once the page is open: a page slow to
	// open (a loaded machine) would otherwise come after the wait, or at
	// its last second, with no countdown left to see go on.
	s := startSite(t, map[string]string{"flaky": `version: 1
name: flaky
steps:
  - id: flaky
    op: shell.exec
    with: {script: "if [ -e ` + mark + ` ]; then echo second; sleep 3600; fi; while [ ! -e ` + gate + ` ]; do sleep 0.05; done; touch ` + mark + `; exit 1"}
    retry: {attempts: 3, delay: 6s}
`})
	ctx := tab(t, b)
	s.signIn(t, ctx, "oncall")
	id := s.start("oncall", "flaky", nil)
	t.Cleanup(func() {
		os.WriteFile(gate, nil, 0o644) // a failed test does not leave the run waiting
		s.api("oncall", "POST", "/api/v1/runs/"+id+"/cancel", nil)
		s.wait(id)
	})
	do(t, ctx, "open the run", chromedp.Navigate(s.url+"/runs/"+id))
	waitFor(t, ctx, "the first attempt", `!!document.querySelector('li.step[data-step=flaky][data-status=running]')`)
	if err := os.WriteFile(gate, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	const wait = `document.querySelector('li.step[data-step=flaky] .retry-wait')`
	const shown = `(` + wait + ` && !` + wait + `.hidden ? ` + wait + `.textContent : '')`
	waitFor(t, ctx, "the wait", shown+` !== ''`)
	re := regexp.MustCompile(`^waits (\d) s before attempt 2 of 3$`)
	m := re.FindStringSubmatch(eval[string](t, ctx, shown))
	if m == nil {
		t.Fatalf("the card says %q", eval[string](t, ctx, shown))
	}
	if got := eval[string](t, ctx, wait+`.getAttribute('role')`); got != "timer" {
		t.Errorf("the countdown's role: %q, want timer (not read out as it changes)", got)
	}
	if got := eval[string](t, ctx, `document.querySelector('main p.sr-only[aria-live]').textContent`); !regexp.MustCompile(`^Step flaky waits \d s before attempt 2 of 3\.$`).MatchString(got) {
		t.Errorf("screen readers are told %q", got)
	}
	n, _ := strconv.Atoi(m[1])
	waitFor(t, ctx, "the countdown to go on", `/^waits \d s/.test(`+shown+`) && parseInt(`+shown+`.slice(6)) < `+strconv.Itoa(n))
	waitFor(t, ctx, "the second attempt", `/second/.test(document.querySelector('li.step[data-step=flaky] pre.log').textContent)`)
	waitFor(t, ctx, "the countdown gone", shown+` === ''`)
	if got := eval[string](t, ctx, `document.querySelector('li.step[data-step=flaky]').dataset.status`); got != "running" {
		t.Errorf("the step is %s during its second attempt", got)
	}
}

// TestRunPageNamesTheItemThatRetries: the retry of a fan-out's item is
// noted on the step's card with the item's name, not as if the step
// itself were tried again; the step's own card shows no countdown.
func TestRunPageNamesTheItemThatRetries(t *testing.T) {
	b := browser(t, 3*time.Minute)
	mark := filepath.Join(t.TempDir(), "tried")
	s := startSite(t, map[string]string{"fleet": `version: 1
name: fleet
steps:
  - id: fan
    op: shell.exec
    foreach: [web-a, web-b]
    env: {HOST: "${{ item }}"}
    with: {script: "test \"$HOST\" = web-b || exit 0; if [ -e ` + mark + ` ]; then echo second; sleep 3600; fi; touch ` + mark + `; exit 1"}
    retry: {attempts: 3, delay: 2s}
`})
	ctx := tab(t, b)
	s.signIn(t, ctx, "oncall")
	id := s.start("oncall", "fleet", nil)
	t.Cleanup(func() {
		s.api("oncall", "POST", "/api/v1/runs/"+id+"/cancel", nil)
		s.wait(id)
	})
	do(t, ctx, "open the run", chromedp.Navigate(s.url+"/runs/"+id))
	const notes = `[...document.querySelectorAll('li.step[data-step=fan] li')].map((li) => li.textContent).filter((s) => /attempt 1/.test(s))`
	waitFor(t, ctx, "the retry's note", notes+`.length > 0`)
	got := eval[[]string](t, ctx, notes)
	if len(got) != 1 || !regexp.MustCompile(`^item 1 \(web-b\): attempt 1 failed \(.+\); trying again in 2(\.0)? s$`).MatchString(got[0]) {
		t.Errorf("the card notes %q, want the retry of item 1 (web-b)", got)
	}
	if eval[bool](t, ctx, `!!document.querySelector('li.step[data-step=fan] .retry-wait:not([hidden])')`) {
		t.Error("the step's card counts down an item's wait as its own")
	}
}
