package engine

import (
	"context"
	"strings"
	"testing"

	"github.com/arsenal-run/arsenal-run/pkg/report"
)

// TestOutputsStopWithTheirGrace: a playbook's outputs are computed last,
// each within the work bound of one evaluation, which lets one run for
// seconds; a playbook may have hundreds. Once the run was cancelled they
// get a grace of their own, as notify does, and stop when it ends, inside
// the expression they are in. Before, they took no context at all: a run
// with a playbook timeout of 2s, or cancelled by SIGINT, computed thirty
// such outputs for over a minute, and serve kept a core busy for a
// cancelled run.
func TestOutputsStopWithTheirGrace(t *testing.T) {
	e := New(registry(t, newTestOps().register), WithClock(graceClock{}))
	// Over the work bound in full, so that an evaluation that ran to its
	// end would fail with another error.
	p := plan(t, e, header+`
steps:
  - {id: work, op: control.sleep, with: {duration: 1m}}
outputs:
  plain: "${{ steps.work.status }}"
  heavy: "${{ let r = 1..5000; sum(r, sum(r, #)) }}"
`)
	rep := cancelAtStart(t, p, "work")
	if rep.Status != report.StatusCancelled {
		t.Fatalf("run %s, want cancelled", rep.Status)
	}
	if rep.Outputs["plain"] != "cancelled" {
		t.Errorf("plain: %v; an output that does no work is still computed", rep.Outputs["plain"])
	}
	if got := rep.OutputErrors["heavy"]; !strings.Contains(got, "output heavy was not computed: outputs grace of 1m exceeded") {
		t.Errorf("heavy: %q; want it stopped by the outputs grace", got)
	}
}

// TestOutputsStopWithTheRun: the playbook's timeout, running out while the
// outputs are computed, stops them, also in a run with handlers, whose
// budget does not extend to the outputs. Three outputs over the work
// bound take seconds each, far past the timeout, wherever the test runs.
func TestOutputsStopWithTheRun(t *testing.T) {
	e := New(registry(t, newTestOps().register))
	p := plan(t, e, header+`
timeout: 1s
steps:
  - {id: work, op: control.noop}
finally:
  - {id: cleanup, op: control.noop}
outputs:
  a: "${{ let r = 1..5000; sum(r, sum(r, #)) }}"
  b: "${{ let r = 1..5000; sum(r, sum(r, #)) }}"
  c: "${{ let r = 1..5000; sum(r, sum(r, #)) }}"
`)
	rep, err := p.Run(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	cut := 0
	for _, name := range []string{"a", "b", "c"} {
		if strings.Contains(rep.OutputErrors[name], "was not computed: playbook timeout of 1s exceeded") {
			cut++
		}
	}
	if cut == 0 {
		t.Errorf("no output was stopped by the playbook's timeout: %v", rep.OutputErrors)
	}
}

// TestParamsDigestStopsWithTheOutputs: the report of a run that did not
// succeed records a digest of each succeeded step's parameters, for a
// resume, by evaluating them again: as long as the step's own took (a
// fan-out's items may each have worked for seconds). That is bounded as
// the outputs are: a step whose digest the grace cut records none, and
// runs again on resume. Before, the report of a cancelled run took as
// long again as its steps, and nothing could stop it.
func TestParamsDigestStopsWithTheOutputs(t *testing.T) {
	e := New(registry(t, newTestOps().register), WithClock(graceClock{}))
	p := plan(t, e, header+`
steps:
  - id: heavy
    op: control.log
    with: {message: "${{ string(let r = 1..2000; sum(r, sum(r, #))) }}"}
  - {id: work, op: control.sleep, needs: [heavy], with: {duration: 1m}}
`)
	rep := cancelAtStart(t, p, "work")
	if rep.Status != report.StatusCancelled || stepOf(t, rep, "heavy").Status != report.StatusSucceeded {
		t.Fatalf("run %s, heavy %s; want cancelled after heavy succeeded", rep.Status, stepOf(t, rep, "heavy").Status)
	}
	if d := stepOf(t, rep, "heavy").ParamsSHA256; d != "" {
		t.Errorf("heavy's digest %q was computed after the grace ended", d)
	}
}
