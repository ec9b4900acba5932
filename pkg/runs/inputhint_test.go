package runs

import (
	"context"
	"strings"
	"testing"

	"github.com/arsenal-run/arsenal-run/pkg/engine"
	"github.com/arsenal-run/arsenal-run/pkg/steps"
)

// TestInputHintByFrontEnd: a required input nobody gave tells what to do
// in the words of the front end, as a confirm: step does: the request's
// hint, else the service's for the request's trigger (a scheduled run),
// else the CLI's --input.
func TestInputHintByFrontEnd(t *testing.T) {
	sched := func(in *steps.Input) string { return "give " + in.Name + " a default" }
	m := newManager(t, Config{InputHints: map[Trigger]engine.InputHint{TriggerSchedule: sched}}, Limits{})
	path := writePlaybook(t, "version: 1\nname: needs\ninputs:\n  target: {type: string, required: true}\nsteps:\n  - {id: go, op: control.noop}\n")
	for _, tc := range []struct {
		name string
		req  Request
		want string
	}{
		{"the trigger's", Request{Caller: Caller{Trigger: TriggerSchedule}}, "target is required; give target a default"},
		{"the request's", Request{Caller: Caller{Trigger: TriggerSchedule}, InputHint: func(*steps.Input) string { return "fill it in" }}, "target is required; fill it in"},
		{"the CLI's", Request{Caller: Caller{Trigger: TriggerCLI}}, "target is required; give it with --input target=VALUE"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.req.Path = path
			_, err := m.Start(context.Background(), tc.req)
			if err == nil || !strings.HasSuffix(err.Error(), tc.want) {
				t.Errorf("error %v, want it to end with %q", err, tc.want)
			}
		})
	}
}
