package runs

// Runs over a fleet of real sshd, one per host, on loopback ports.

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/arsenal-run/arsenal-run/internal/sshdtest"
	"github.com/arsenal-run/arsenal-run/pkg/auth"
	"github.com/arsenal-run/arsenal-run/pkg/engine"
	"github.com/arsenal-run/arsenal-run/pkg/inventory"
	"github.com/arsenal-run/arsenal-run/pkg/ops/remote"
	"github.com/arsenal-run/arsenal-run/pkg/report"
)

// fleet starts one sshd per host name and returns the fleet with the
// remote settings of a service over it: an inventory where each host has
// vars {code: N}, its exit code, and the group web holding them all.
func fleet(t *testing.T, codes map[string]int, names ...string) (*sshdtest.Fleet, remote.Settings) {
	t.Helper()
	f := sshdtest.StartFleet(t, names...)
	vars := map[string]string{}
	for _, n := range names {
		vars[n] = fmt.Sprintf("{code: %d}", codes[n])
	}
	path := f.Inventory(t, t.TempDir(), vars, "groups:\n  web: ["+strings.Join(names, ", ")+"]\n")
	inv, err := inventory.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	return f, remote.Settings{Inventory: inv, KnownHosts: []string{f.KnownHosts}, Agent: "none"}
}

const rolling = `version: 1
name: rolling
steps:
  - id: restart
    op: ssh.exec
    foreach: inventory.hosts("web")
    serial: 2
    max_fail_percentage: 50
    with:
      host: ${{ item.name }}
      command: [sh, -c, 'echo restarted; exit "$1"', sh, "${{ string(item.vars.code) }}"]
`

type hostResult struct {
	Label  string
	Status report.Status
}

func hostResults(s report.Step) []hostResult {
	var out []hostResult
	for _, it := range s.Items {
		out = append(out, hostResult{it.Label, it.Status})
	}
	return out
}

// TestRollingFanOutOverFleet restarts six hosts two at a time: the first
// batch has one failure in two (50%, as much as max_fail_percentage
// allows), the second two in two, so the third batch never starts and its
// hosts are never even connected to. Each host that ran has its result as
// an item labelled with its name, and the run's connections are closed
// when it ends.
func TestRollingFanOutOverFleet(t *testing.T) {
	names := []string{"web-1", "web-2", "web-3", "web-4", "web-5", "web-6"}
	f, settings := fleet(t, map[string]int{"web-2": 3, "web-3": 1, "web-4": 1}, names...)
	m := newManager(t, Config{Remote: settings}, Limits{})
	h, err := m.Start(context.Background(), Request{Path: writePlaybook(t, rolling)})
	if err != nil {
		t.Fatal(err)
	}
	evs := collect(t, h)
	rep := wait(t, h)
	checkGrammar(t, evs)
	restart := rep.Steps[0]
	want := []hostResult{
		{"web-1", "succeeded"}, {"web-2", "failed"},
		{"web-3", "failed"}, {"web-4", "failed"},
		{"web-5", "cancelled"}, {"web-6", "cancelled"},
	}
	if diff := cmp.Diff(want, hostResults(restart)); diff != "" {
		t.Errorf("hosts (-want +got):\n%s", diff)
	}
	if r := restart.Items[4].Reason; !strings.Contains(r, "batch 2 of 3 (items web-3 (#2) to web-4 (#3)) had 2 of 2 items fail, over max_fail_percentage 50%") {
		t.Errorf("web-5 not started for: %q", r)
	}
	if out, _ := restart.Items[0].Output.(map[string]any); out["stdout"] != "restarted\n" || out["host"] != "web-1" {
		t.Errorf("web-1 output: %v", restart.Items[0].Output)
	}
	if rep.Status != report.StatusFailed || !strings.Contains(rep.Error.Message, "item web-2 (#1):") {
		t.Errorf("run %s: %+v", rep.Status, rep.Error)
	}
	// Batches in order: no host of a batch started before the one before
	// had finished.
	var order []string
	for _, ev := range evs {
		if ev.Kind == engine.EventItemStarted || ev.Kind == engine.EventItemFinished {
			order = append(order, fmt.Sprintf("%s %s", strings.TrimPrefix(string(ev.Kind), "item_"), ev.Label))
		}
	}
	batch := func(s string) int {
		n := s[len(s)-1] - '0'
		return int(n+1) / 2
	}
	done := map[int]int{}
	for _, o := range order {
		b := batch(o)
		if strings.HasPrefix(o, "started") && b > 1 && done[b-1] < 2 {
			t.Errorf("%s before batch %d finished: %v", o, b-1, order)
		}
		if strings.HasPrefix(o, "finished") {
			done[b]++
		}
	}
	if len(order) != 8 {
		t.Errorf("item events: %v", order)
	}
	logins := f.Logins()
	if diff := cmp.Diff(map[string]int{"web-1": 1, "web-2": 1, "web-3": 1, "web-4": 1, "web-5": 0, "web-6": 0}, logins); diff != "" {
		t.Errorf("logins per host (-want +got):\n%s", diff)
	}
	for i, s := range f.Servers {
		if n := sshdtest.ClientConnections(t, s.Port); n != 0 {
			t.Errorf("%s: %d connections left open after the run", names[i], n)
		}
	}
}

// TestHostScopeDeniesAtRunTime: a role whose hosts: leave out a host that
// a foreach reaches by name is refused on that host before a connection
// is made; the others run.
func TestHostScopeDeniesAtRunTime(t *testing.T) {
	names := []string{"web-1", "web-2", "web-3"}
	f, settings := fleet(t, nil, names...)
	reg := newRegistry(t)
	policy, err := auth.ParsePolicy("policy.yaml", []byte("version: 1\nroles:\n  deployer: {max_risk: write, hosts: [web-1, web-3]}\n"), reg)
	if err != nil {
		t.Fatal(err)
	}
	m := newManager(t, Config{Registry: reg, Policy: policy, Remote: settings}, Limits{})
	h, err := m.Start(context.Background(), Request{Path: writePlaybook(t, `version: 1
name: scoped
inputs:
  group: {type: string, default: web}
steps:
  - id: uptime
    op: ssh.exec
    foreach: inventory.hosts(inputs.group) # known only when the run starts
    fail_fast: false
    with: {host: "${{ item.name }}", command: [uptime]}
`), Caller: Caller{Roles: []string{"deployer"}}})
	if err != nil {
		t.Fatal(err)
	}
	rep := wait(t, h)
	want := []hostResult{{"web-1", "succeeded"}, {"web-2", "denied"}, {"web-3", "succeeded"}}
	if diff := cmp.Diff(want, hostResults(rep.Steps[0])); diff != "" {
		t.Errorf("hosts (-want +got):\n%s", diff)
	}
	if e := rep.Steps[0].Items[1].Error; e == nil || e.Class != "authorization" || !strings.Contains(e.Message, "host web-2 (groups web) is not among the hosts of role deployer (hosts: web-1, web-3)") {
		t.Errorf("web-2: %+v", e)
	}
	if diff := cmp.Diff(map[string]int{"web-1": 1, "web-2": 0, "web-3": 1}, f.Logins()); diff != "" {
		t.Errorf("logins (-want +got):\n%s", diff)
	}
}

// TestInventoryCheckedBeforeRun refuses, before anything runs, a playbook
// whose inventory.hosts names a group the inventory lacks, or that needs
// an inventory when none is configured.
func TestInventoryCheckedBeforeRun(t *testing.T) {
	inv, err := inventory.Parse("fleet.yaml", []byte("version: 1\nhosts:\n  web-1: {address: 10.0.0.1}\ngroups:\n  web: [web-1]\n"))
	if err != nil {
		t.Fatal(err)
	}
	path := writePlaybook(t, "version: 1\nname: x\nsteps:\n  - {id: a, op: control.log, foreach: inventory.hosts(\"wbe\"), with: {message: x}}\n")
	for _, tc := range []struct {
		inv  *inventory.Inventory
		want string
	}{
		{inv, `inventory.hosts: inventory fleet.yaml has no group or host "wbe" (did you mean "web"?)`},
		{nil, "inventory.hosts needs an inventory: give one with --inventory FILE"},
	} {
		m := newManager(t, Config{Remote: remote.Settings{Inventory: tc.inv}}, Limits{})
		_, err := m.Start(context.Background(), Request{Path: path})
		var pe *PrepareError
		if !errors.As(err, &pe) || pe.Field != "inventory" || !strings.Contains(err.Error(), ":4:55: "+tc.want) {
			t.Errorf("got %v, want a PrepareError for the inventory: %s", err, tc.want)
		}
	}
}
