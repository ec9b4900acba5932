package console

import (
	"strconv"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// TestRunPageOutputFollowsItsEnd: a running step's output box shows its
// newest line as lines come, as tail -f does, so that whoever watches a
// run sees what it prints now rather than its first lines; scrolled up to
// read, the box stays where it was read until scrolled back to its end.
func TestRunPageOutputFollowsItsEnd(t *testing.T) {
	b := browser(t, 3*time.Minute)
	s := startSite(t, map[string]string{"tail": `version: 1
name: tail
steps:
  - id: build
    op: shell.exec
    with: {script: "i=0; while [ $i -lt 2000 ]; do i=$((i+1)); echo line $i; sleep 0.05; done; sleep 3600"}
`})
	ctx := tab(t, b)
	s.signIn(t, ctx, "oncall")
	id := s.start("oncall", "tail", nil)
	do(t, ctx, "open the run", chromedp.Navigate(s.url+"/runs/"+id))
	const log = `document.querySelector('li.step[data-step=build] pre.log')`
	const lines = `((` + log + ` || {}).textContent || '').split('\n').length`
	const atEnd = `(() => { const el = ` + log + `; return el.scrollHeight - el.scrollTop - el.clientHeight < 8; })()`
	waitFor(t, ctx, "more lines than the box shows", `(`+lines+` > 60) && `+log+`.scrollHeight > 2 * `+log+`.clientHeight`)
	n := eval[int](t, ctx, lines)
	waitFor(t, ctx, "a later line", lines+` > `+strconv.Itoa(n+5))
	if !eval[bool](t, ctx, atEnd) {
		t.Errorf("the output box shows its lines from %d px, of %d: its newest line is out of sight", eval[int](t, ctx, log+`.scrollTop`), eval[int](t, ctx, log+`.scrollHeight`))
	}
	do(t, ctx, "scroll up in the output", chromedp.Evaluate[chromedp.Void](log+`.scrollTop = 40`))
	n = eval[int](t, ctx, lines)
	waitFor(t, ctx, "a later line", lines+` > `+strconv.Itoa(n+5))
	if got := eval[int](t, ctx, log+`.scrollTop`); got != 40 {
		t.Errorf("scrolled up to 40 px, the output box moved to %d px as lines came", got)
	}
	do(t, ctx, "scroll back to the end", chromedp.Evaluate[chromedp.Void](log+`.scrollTop = `+log+`.scrollHeight`))
	n = eval[int](t, ctx, lines)
	waitFor(t, ctx, "a later line", lines+` > `+strconv.Itoa(n+5))
	if !eval[bool](t, ctx, atEnd) {
		t.Errorf("scrolled back to its end, the output box stays behind its newest line")
	}
	s.api("oncall", "POST", "/api/v1/runs/"+id+"/cancel", nil)
	s.wait(id)
}

// TestLiveOutputSaysEarlierLinesGone: a step's live output box keeps its
// newest lines, and says how many earlier ones it no longer shows, rather
// than show its oldest kept line as the first the step printed.
func TestLiveOutputSaysEarlierLinesGone(t *testing.T) {
	b := browser(t, 3*time.Minute)
	s := startSite(t, nil)
	ctx := tab(t, b)
	s.signIn(t, ctx, "oncall")
	got := eval[string](t, ctx, `import('/assets/js/step.js').then((m) => new Promise((done) => {
		const v = new m.StepView('build');
		document.body.append(v.el);
		for (let i = 1; i <= 700; i++) v.log('line ' + i);
		requestAnimationFrame(() => setTimeout(() => done(v.logEl.textContent.split('\n').slice(0, 2).join(' | ')), 0));
	}))`)
	if want := "… 200 earlier lines not kept here; the step's output is in the report at the run's end | line 201"; got != want {
		t.Errorf("the box's first lines:\n got %s\nwant %s", got, want)
	}
}
