package console

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/arsenal-run/arsenal-run/pkg/report"
	"github.com/arsenal-run/arsenal-run/pkg/runs"
)

// gatedPlaybook runs step one until the file gate1 exists, then fails
// step two once gate2 does.
const gatedPlaybook = `version: 1
name: gated
inputs:
  gate1: {type: string, required: true}
  gate2: {type: string, required: true}
steps:
  - {id: one, op: shell.exec, with: {command: [sh, -c, 'while [ ! -e "$1" ]; do sleep 0.02; done', sh, "${{ inputs.gate1 }}"]}}
  - {id: two, op: shell.exec, with: {command: [sh, -c, 'while [ ! -e "$1" ]; do sleep 0.02; done; exit 3', sh, "${{ inputs.gate2 }}"]}}
`

// TestRunPageOfAnotherProcess opens the page of a run that another
// process on the server's state dir runs, as arsenal-run run does: the
// page follows it as the history records its steps, and shows its real
// end, not a run that stays running.
func TestRunPageOfAnotherProcess(t *testing.T) {
	b := browser(t, 3*time.Minute)
	s := startSite(t, runPagePlaybooks)
	dir := t.TempDir()
	path := filepath.Join(dir, "gated.yaml")
	if err := os.WriteFile(path, []byte(gatedPlaybook), 0o644); err != nil {
		t.Fatal(err)
	}
	gate1, gate2 := filepath.Join(dir, "gate1"), filepath.Join(dir, "gate2")
	svc, err := runs.NewService(runs.Config{Registry: s.mgr.Service().Registry(), StateDir: s.state, Env: runs.MapEnv{"PATH": os.Getenv("PATH")}})
	if err != nil {
		t.Fatal(err)
	}
	mgr := runs.NewManager(svc, runs.Limits{MaxRunning: 1})
	h, err := mgr.Start(context.Background(), runs.Request{Path: path, Caller: runs.Caller{Roles: []string{"admin"}},
		Inputs: map[string]any{"gate1": gate1, "gate2": gate2}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		os.WriteFile(gate1, nil, 0o644)
		os.WriteFile(gate2, nil, 0o644)
		h.Wait(context.Background())
		mgr.Shutdown(context.Background())
		svc.Close()
	})
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		if code, m := s.api("oncall", "GET", "/api/v1/runs/"+h.ID(), nil); code == 200 && m["status"] == "running" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the other process's run is not in the history")
		}
	}

	ctx := tab(t, b)
	s.signIn(t, ctx, "oncall")
	do(t, ctx, "open the run", chromedp.Navigate(s.url+"/runs/"+h.ID()))
	waitFor(t, ctx, "the running run", `!!document.querySelector('.run-status .b-running')`)
	if err := os.WriteFile(gate1, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	waitFor(t, ctx, "step one to succeed while the run goes on", `!!document.querySelector('li.step[data-step=one][data-status=succeeded]')`)
	if !eval[bool](t, ctx, `!!document.querySelector('.run-status .b-running')`) {
		t.Errorf("with step two to go, the run shows as %q", eval[string](t, ctx, `document.querySelector('.run-status').textContent`))
	}
	if err := os.WriteFile(gate2, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	waitFor(t, ctx, "the run's end", `!!document.querySelector('.run-status .b-failed') && !!document.querySelector('li.step[data-step=two][data-status=failed]')`)
	if got := eval[string](t, ctx, `document.querySelector('main > dl.facts dd.duration').textContent`); got == "—" {
		t.Errorf("the ended run's duration: %q", got)
	}
}

// TestRunPageReadsARunWhoseStreamEndsEarly: a stream that ends with a
// run_finished whose status is still running does not end the page's
// watch of the run: the page reads the run until it has really ended.
func TestRunPageReadsARunWhoseStreamEndsEarly(t *testing.T) {
	b := browser(t, 3*time.Minute)
	s := startSite(t, runPagePlaybooks)
	ctx := tab(t, b)
	s.signIn(t, ctx, "oncall")
	id := s.start("oncall", "slow", nil)
	do(t, ctx, "open the runs", chromedp.Navigate(s.url+"/runs"), chromedp.WaitVisible(chromedp.CSS("#runs-list")))
	// The run's first stream says, with the run's report as it is now,
	// that it finished while running.
	do(t, ctx, "make the stream end early", chromedp.Evaluate[chromedp.Void](`(() => {
		const Real = window.EventSource;
		window.EventSource = class extends Real {
			constructor(url, opts) {
				super(url, opts);
				if (window.__early) return;
				window.__early = 'armed';
				fetch('/api/v1/runs/' + `+jsString(id)+`).then((r) => r.json()).then((report) => {
					this.dispatchEvent(new MessageEvent('run_finished', { data: JSON.stringify({ kind: 'run_finished', run_id: `+jsString(id)+`,
						status: 'running', time: '0001-01-01T00:00:00Z', report }) }));
					window.__early = 'sent';
				});
			}
		};
	})()`))
	follow(t, ctx, "/runs/"+id)
	waitFor(t, ctx, "the early end", `window.__early === 'sent' && !!document.querySelector('.run-status .b-running')`)
	s.api("oncall", "POST", "/api/v1/runs/"+id+"/cancel", nil)
	if rep := s.wait(id); rep.Status != report.StatusCancelled {
		t.Fatalf("the run: %s", rep.Status)
	}
	waitFor(t, ctx, "the run's real end", `!!document.querySelector('.run-status .b-cancelled')`)
}
