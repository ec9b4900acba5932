package engine

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"sync"
	"testing"

	"github.com/arsenal-run/arsenal-run/pkg/ops"
)

// sayRegistry has test.say, which prints its text line by line as live
// process output and returns it as stdout, as shell.exec does.
func sayRegistry(t *testing.T) *ops.Registry {
	return registry(t, func(r *ops.Registry) {
		r.MustRegister(ops.Spec{Name: "test.say", Risk: ops.RiskRead, StreamsOutput: true, Params: []ops.Param{{Name: "text", Type: ops.TypeString}}},
			ops.Func(func(ctx context.Context, p ops.Params) (map[string]any, error) {
				if w := ops.CallFrom(ctx).Output; w != nil {
					for _, l := range strings.SplitAfter(p.String("text"), "\n") {
						w.Write([]byte(l))
					}
				}
				return map[string]any{"stdout": p.String("text")}, nil
			}))
	})
}

const addMaskPlaybook = header + `
steps:
  - id: a
    op: test.say
    with:
      text: |
        token is hunter2-xyz before
        ::add-mask::hunter2-xyz
        token is hunter2-xyz after
          ::ADD-MASK::second%25value
        and second%value, ##[add-mask]third-value
  - {id: b, op: test.say, with: {text: "later hunter2-xyz second%value third-value"}}
outputs:
  tok: "${{ steps.b.output.stdout }}"
`

// TestStepAddMaskMasksItsValue checks that a step's own "::add-mask::VALUE"
// line (GitHub Actions' workflow command, in either of its forms) masks
// VALUE in what the run writes: the live output from its line on, the
// line itself included, the events, and the report and outputs
// wherever it appears.
func TestStepAddMaskMasksItsValue(t *testing.T) {
	secrets := []string{"hunter2", "second%value", "second%25value", "third-value"}
	var out bytes.Buffer
	var mu sync.Mutex
	var events []Event
	obs := ObserverFunc(func(ev Event) {
		mu.Lock()
		defer mu.Unlock()
		events = append(events, ev)
	})
	e := New(sayRegistry(t))
	rep := mustRun(t, plan(t, e, addMaskPlaybook), nil, WithProcessOutput(&out), WithRunObserver(obs))
	live := out.String()
	// The line before the command was printed before it was known.
	if first := "a | token is hunter2-xyz before\n"; !strings.HasPrefix(live, first) {
		t.Errorf("live output starts %q, want %q", live[:min(len(live), 60)], first)
	}
	noLeak(t, "the live output after the command", strings.TrimPrefix(live, "a | token is hunter2-xyz before\n"), secrets...)
	for _, want := range []string{"a | ::add-mask::***\n", "a | token is *** after\n", "a |   ::ADD-MASK::***\n", "b | later *** *** ***\n"} {
		if !strings.Contains(live, want) {
			t.Errorf("live output lacks %q:\n%s", want, live)
		}
	}
	noLeak(t, "the report", dump(rep), secrets...)
	if got := rep.Outputs["tok"]; got != "later *** *** ***" {
		t.Errorf("output tok %q", got)
	}
	mu.Lock()
	evs, _ := json.Marshal(events)
	mu.Unlock()
	after := string(evs)
	if i := strings.Index(after, "::add-mask::"); i >= 0 {
		after = after[i:]
	}
	noLeak(t, "the events from the command on", after, secrets...)
	if !strings.Contains(after, `::add-mask::***`) {
		t.Errorf("no masked command line among the events: %s", after)
	}
}

// TestStepAddMaskWithoutLiveOutput checks that the command masks its
// value in the report when the run streams no process output.
func TestStepAddMaskWithoutLiveOutput(t *testing.T) {
	e := New(sayRegistry(t))
	rep := mustRun(t, plan(t, e, addMaskPlaybook), nil)
	noLeak(t, "the report", dump(rep), "hunter2", "second%value", "third-value")
	if got := stepOf(t, rep, "a").Output.(map[string]any)["stdout"]; !strings.Contains(got.(string), "token is *** before\n::add-mask::***\n") {
		t.Errorf("stdout %q", got)
	}
}
