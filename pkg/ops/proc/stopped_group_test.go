package proc

import (
	"context"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/arsenal-run/arsenal-run/pkg/ops"
	"github.com/arsenal-run/arsenal-run/pkg/ops/internal/opstest"
)

// TestAStoppedGroupIsNamedSo: after supervisor.stop removed a group, a
// second stop, a restart or a listing of it said the group was unknown,
// "known: none yet", as if it had never existed, sending the operator to
// look for a typo.
func TestAStoppedGroupIsNamedSo(t *testing.T) {
	_, sup := newEnv(t, Options{})
	if _, err := sup.Start(Spec{Command: []string{"/bin/sleep", "300"}, Group: "web"}); err != nil {
		t.Fatal(err)
	}
	if _, err := sup.Stop(context.Background(), "web"); err != nil {
		t.Fatal(err)
	}
	want := `supervisor "web" was stopped and removed by supervisor.stop; nothing of it is left (start processes into it again with process.start and supervisor: web)`
	_, errRestart := sup.Restart(context.Background(), "web")
	_, errChildren := sup.Children("web")
	for what, err := range map[string]error{"restart": errRestart, "children": errChildren} {
		if err == nil || err.Error() != want {
			t.Errorf("%s of a stopped group: %v\nwant: %s", what, err, want)
		}
	}
	_, err := sup.Stop(context.Background(), "web")
	if want := `supervisor "web" was stopped and removed by supervisor.stop already; nothing of it is left to stop`; err == nil || err.Error() != want {
		t.Errorf("stop of a stopped group: %v\nwant: %s", err, want)
	}
	_, err = sup.Children("api")
	if want := `no supervisor "api" in this arsenal-run process (known: none; stopped: web)`; err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("an unknown group: %v\nwant: %s", err, want)
	}
	// Started again, the group is known again.
	if _, err := sup.Start(Spec{Command: []string{"/bin/sleep", "300"}, Group: "web"}); err != nil {
		t.Fatal(err)
	}
	if cs, err := sup.Children("web"); err != nil || len(cs) != 1 {
		t.Errorf("the group started again: %v %v", cs, err)
	}
	if _, err := sup.Stop(context.Background(), "web"); err != nil {
		t.Fatal(err)
	}
}

// TestStopMissingOK: "stop the workers, if any" failed the step when the
// group was gone (never started in this run, or stopped already), with no
// way to say that is fine, as process.kill's missing_ok says it.
func TestStopMissingOK(t *testing.T) {
	r, sup := newEnv(t, Options{})
	if _, err := sup.Start(Spec{Command: []string{"/bin/sleep", "300"}, Group: "web"}); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if out, err := opstest.Execute(r, ctx, "supervisor.stop", map[string]any{"supervisor": "web", "missing_ok": true}); err != nil || len(out["stopped"].([]any)) != 1 {
		t.Fatalf("stopping a group that exists, with missing_ok: %v %v", out, err)
	}
	for _, name := range []string{"web", "never"} {
		out, err := opstest.Execute(r, ctx, "supervisor.stop", map[string]any{"supervisor": name, "missing_ok": true})
		if err != nil {
			t.Errorf("stopping %s, gone, with missing_ok: %v", name, err)
		} else if diff := cmp.Diff(map[string]any{"stopped": []any{}}, out); diff != "" {
			t.Errorf("stopping %s, gone, with missing_ok (-want +got):\n%s", name, diff)
		}
		_, err = opstest.Execute(r, ctx, "supervisor.stop", map[string]any{"supervisor": name})
		if err == nil || !strings.Contains(err.Error(), "set missing_ok: true if the group may be gone already") {
			t.Errorf("stopping %s, gone, without missing_ok: %v; want a failure that names missing_ok", name, err)
		}
		if ops.ClassOf(err) != ops.ClassExecution {
			t.Errorf("stopping %s, gone: class %s, want execution", name, ops.ClassOf(err))
		}
	}
}

// TestStopOfNoGroupSaysWhatToDo: supervisor.stop of a name that is no
// group told the operator to start processes into it with
// process.start, the opposite of what a stop is for. It names the group
// likely meant, or the groups there are and where a group lives (a
// runbook run on its own does not see a serve's groups), and missing_ok.
func TestStopOfNoGroupSaysWhatToDo(t *testing.T) {
	r, sup := newEnv(t, Options{})
	if _, err := sup.Start(Spec{Command: []string{"/bin/sleep", "300"}, Group: "web"}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _, _ = sup.Stop(context.Background(), "web") })
	ctx := context.Background()
	for name, wants := range map[string][]string{
		"wbe":     {`no supervisor "wbe" in this arsenal-run process (known: web); did you mean "web"?; set missing_ok: true`},
		"workers": {`no supervisor "workers" in this arsenal-run process (known: web); name one of its groups; a group is known only to the arsenal-run process that started it`, "process.signal by pid or name_regex", "set missing_ok: true"},
	} {
		_, err := opstest.Execute(r, ctx, "supervisor.stop", map[string]any{"supervisor": name})
		for _, want := range wants {
			if err == nil || !strings.Contains(err.Error(), want) {
				t.Errorf("stop of %s: %v\nwant it to contain: %s", name, err, want)
			}
		}
		if err != nil && strings.Contains(err.Error(), "process.start") {
			t.Errorf("stop of %s: %v; want no advice to start processes", name, err)
		}
	}
	// A listing still says how a group is made.
	_, err := sup.Children("workers")
	if want := "start processes into it with process.start and supervisor: workers"; err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("children of workers: %v\nwant it to contain: %s", err, want)
	}
}
