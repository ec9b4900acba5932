package console

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// stepCardPlaybook has a shell step that prints 120 lines and fails, one
// that fails twice with an exit code before it passes, and a fan-out of
// three items of which one is tried twice.
const stepCardPlaybook = `version: 1
name: cards
steps:
  - id: build
    op: shell.exec
    with:
      script: |
        i=1; while [ $i -le 120 ]; do echo "build line $i"; i=$((i+1)); done
        exit 3
    continue_on_error: true
  - id: flaky
    op: shell.exec
    with:
      script: |
        n=$(cat count 2>/dev/null || echo 0)
        echo $((n+1)) > count
        if [ "$n" -lt 2 ]; then exit 7; fi
    retry: {attempts: 5, delay: 1ms}
  - id: fan
    op: shell.exec
    foreach: ["web-1", "web-2", "web-3"]
    env: {HOST: "${{ item }}"}
    with:
      script: |
        f="tries-$HOST"
        n=$(cat "$f" 2>/dev/null || echo 0)
        echo $((n+1)) > "$f"
        if [ "$HOST" = web-2 ] && [ "$n" -lt 1 ]; then
          echo "the health check of $HOST timed out after 30 s waiting for the load balancer to drain its connections" >&2
          exit 9
        fi
    retry: {attempts: 3, delay: 1ms}
`

// TestStepCardShowsWhatMatters opens a finished run on a desktop: a
// failed step's long stdout shows its last lines first, with a button
// that shows all; a shell try says its exit code once, not "exit 7" and
// "exit code 7" in the same cell; a fan-out's header counts its items'
// tries, not "3 attempts" as if the step ran three times; and an item's
// tries open under its row rather than widen it.
func TestStepCardShowsWhatMatters(t *testing.T) {
	b := browser(t, 3*time.Minute)
	s := startSite(t, map[string]string{"cards": stepCardPlaybook})
	id := s.start("oncall", "cards", nil)
	if rep := s.wait(id); rep.Status != "succeeded" {
		t.Fatalf("the run %s", rep.Status)
	}
	ctx := tab(t, b)
	s.signIn(t, ctx, "oncall")
	do(t, ctx, "open the run", chromedp.Navigate(s.url+"/runs/"+id))
	waitFor(t, ctx, "the items of step fan", `document.querySelectorAll('li.step[data-step=fan] tr[data-item]').length === 3`)
	for _, step := range []string{"build", "flaky", "fan"} {
		eval[bool](t, ctx, `document.querySelector('li.step[data-step=`+step+`] details').open = true`)
	}

	t.Run("stdout", func(t *testing.T) { stdoutTailFirst(t, ctx) })
	t.Run("exit code", func(t *testing.T) { exitCodeOnce(t, ctx) })
	t.Run("fan-out header", func(t *testing.T) {
		head := eval[string](t, ctx, `document.querySelector('li.step[data-step=fan] .step-meta').textContent`)
		if !strings.Contains(head, " · 1 item retried, up to 2 attempts an item") {
			t.Errorf("the fan-out's header reads %q", head)
		}
	})
	t.Run("item tries", func(t *testing.T) { itemTriesUnderRow(t, ctx) })
}

// stdoutTailFirst: the stdout box of step build shows its last lines,
// the button, then all of it, scrolled to its end.
func stdoutTailFirst(t *testing.T, ctx context.Context) {
	box := `document.querySelector('li.step[data-step=build] .output pre.out-text')`
	if got := eval[string](t, ctx, box+`.textContent`); !strings.HasSuffix(got, "build line 120") || strings.Contains(got, "build line 1\n") {
		t.Errorf("the stdout box of a failed step shows first:\n%.300s", got)
	}
	if got := eval[bool](t, ctx, `(() => { const b = `+box+`; return b.scrollHeight - b.scrollTop - b.clientHeight < 4; })()`); !got {
		t.Error("the last line of the stdout box is not in sight")
	}
	more := `li.step[data-step=build] [data-action=show-all-output]`
	if got := eval[string](t, ctx, `document.querySelector('`+more+`')?.textContent ?? 'no button'`); got != "Show all 120 lines (the last 20 are below)" {
		t.Fatalf("the button reads %q", got)
	}
	do(t, ctx, "show all the output", chromedp.Click(chromedp.CSS(more)))
	if got := eval[string](t, ctx, box+`.textContent`); !strings.HasPrefix(got, "build line 1\n") || !strings.HasSuffix(got, "build line 120\n") {
		t.Errorf("after show all, the box reads:\n%.300s", got)
	}
	if got := eval[bool](t, ctx, `(() => { const b = `+box+`; return b.scrollHeight > b.clientHeight && b.scrollHeight - b.scrollTop - b.clientHeight < 4; })()`); !got {
		t.Error("after show all, the box is not scrolled to its end, where the reader was")
	}

}

// exitCodeOnce: a shell try's row says its exit code once.
func exitCodeOnce(t *testing.T, ctx context.Context) {
	rows := eval[[]string](t, ctx, `[...document.querySelectorAll('li.step[data-step=flaky] table.attempts tr[data-attempt]')].map((r) => r.cells[1].textContent.trim())`)
	if len(rows) != 3 {
		t.Fatalf("step flaky: %d tries shown, want 3: %q", len(rows), rows)
	}
	if rows[0] != "✗ failed execution: exit code 7 is not in ok_codes [0]" {
		t.Errorf("step flaky: a failed try reads %q, want its exit code said once", rows[0])
	}
	if rows[2] != "✓ succeeded exit 0" {
		t.Errorf("step flaky: the try that passed reads %q", rows[2])
	}
}

// itemTriesUnderRow: an item's tries open under its row, which keeps its
// width.
func itemTriesUnderRow(t *testing.T, ctx context.Context) {
	tries := `document.querySelector('li.step[data-step=fan] tr[data-item="1"] td[data-label=Tries]')`
	before := eval[float64](t, ctx, tries+`.getBoundingClientRect().width`)
	do(t, ctx, "open the item's tries", chromedp.Click(chromedp.CSS(`li.step[data-step=fan] tr[data-item="1"] details.item-attempts > summary`)))
	waitFor(t, ctx, "the item's tries", `[...document.querySelectorAll('li.step[data-step=fan] table.attempts tr[data-attempt]')].filter((r) => r.offsetParent).length === 2`)
	if dir := os.Getenv("CONSOLE_SHOTS"); dir != "" {
		shot(t, ctx, dir+"/stepcard.png")
	}
	if after := eval[float64](t, ctx, tries+`.getBoundingClientRect().width`); after > before+2 {
		t.Errorf("opening an item's tries widened its Tries cell from %.0f to %.0f px", before, after)
	}
	if got := eval[string](t, ctx, `[...document.querySelectorAll('li.step[data-step=fan] table.attempts')].find((x) => x.offsetParent).textContent`); !strings.Contains(got, "the health check of web-2 timed out") {
		t.Errorf("the item's tries read:\n%s", got)
	}
}

// shot saves a screenshot of the page, to look at.
func shot(t *testing.T, ctx context.Context, path string) {
	t.Helper()
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, png, 0o644); err != nil {
		t.Fatal(err)
	}
}
