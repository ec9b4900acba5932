package console

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// TestSubRunOutputGoesToItsStep: while a run goes on, the output lines of
// its sub-runs show in the card of the run's own step that started them:
// a fan-out item's sub-run (parent_step fan[web-1]) in the fan-out's card,
// a sub-run two levels down in the card of the step that called the one
// between; no card appears for a step the run does not have, and each
// line names the sub-run's step by its path, which tells the items apart.
func TestSubRunOutputGoesToItsStep(t *testing.T) {
	b := browser(t, 3*time.Minute)
	s := startSite(t, map[string]string{
		"outer": `version: 1
name: outer
steps:
  - {id: fan, op: playbook.run, foreach: ["web-1", "web-2"], concurrency: 2, with: {path: leaf.yaml, inputs: {host: "${{ item }}"}}}
  - {id: call, op: playbook.run, with: {path: middle.yaml}, needs: []}
`,
		"middle": `version: 1
name: middle
steps:
  - {id: inner, op: playbook.run, with: {path: leaf.yaml, inputs: {host: deep}}}
`,
		"leaf": `version: 1
name: leaf
inputs:
  host: {type: string}
steps:
  - id: say
    op: shell.exec
    with: {script: "echo hello from $HOST; sleep 3600"}
    env: {HOST: "${{ inputs.host }}"}
`,
	})
	ctx := tab(t, b)
	s.signIn(t, ctx, "oncall")
	id := s.start("oncall", "outer", nil)
	defer s.wait(id)
	defer s.api("oncall", "POST", "/api/v1/runs/"+id+"/cancel", nil)
	do(t, ctx, "open the run", chromedp.Navigate(s.url+"/runs/"+id))
	const logOf = `((step) => ((document.querySelector('li.step[data-step=' + step + '] pre.log') || {}).textContent || ''))`
	waitFor(t, ctx, "the lines of the three sub-runs", `(() => {
		const all = [...document.querySelectorAll('li.step pre.log')].map((e) => e.textContent).join('\n');
		return ['web-1', 'web-2', 'deep'].every((h) => all.includes('hello from ' + h));
	})()`)
	cards := eval[[]string](t, ctx, `[...document.querySelectorAll('li.step')].map((e) => e.dataset.step)`)
	slices.Sort(cards)
	if strings.Join(cards, " ") != "call fan" {
		t.Errorf("the run's step cards are %q, want fan and call alone", cards)
	}
	fan := eval[string](t, ctx, logOf+`('fan')`)
	for _, want := range []string{"[fan[web-1]/say] hello from web-1", "[fan[web-2]/say] hello from web-2"} {
		if !strings.Contains(fan, want) {
			t.Errorf("the fan-out's card lacks %q:\n%s", want, fan)
		}
	}
	if call := eval[string](t, ctx, logOf+`('call')`); !strings.Contains(call, "[call/inner/say] hello from deep") {
		t.Errorf("the card of the step two levels up lacks the deep sub-run's line:\n%s", call)
	}
}
