package steps

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/expr-lang/expr/vm"
	"github.com/google/go-cmp/cmp"

	"github.com/arsenal-run/arsenal-run/pkg/inventory"
	"github.com/arsenal-run/arsenal-run/pkg/ops"
)

const testInventory = `version: 1
hosts:
  web-1: {address: 10.0.0.11, tags: [canary], vars: {role: primary}}
  web-2: {address: 10.0.0.12}
  db-1: {address: 10.0.0.21}
groups:
  web: [web-1, web-2]
`

func loadTestInventory(t *testing.T) *inventory.Inventory {
	t.Helper()
	inv, err := inventory.Parse("fleet.yaml", []byte(testInventory))
	if err != nil {
		t.Fatal(err)
	}
	return inv
}

const inventoryPlaybook = `version: 1
name: fleet
inputs:
  group: {type: string, default: web}
steps:
  - id: each
    op: control.log
    foreach: inventory.hosts("web")
    with: {message: "${{ item.name }} at ${{ item.address }}"}
  - id: chosen
    op: control.log
    foreach: ${{ inventory.hosts(inputs.group) }}
    with: {message: "${{ item.vars }}"}
`

// TestInventoryHostsLoads checks that inventory.hosts compiles to a
// function over plain data: calls are recorded with their position and
// literal name, and the program gives the hosts of the group at run time.
func TestInventoryHostsLoads(t *testing.T) {
	pb, err := Parse("fleet.yaml", []byte(inventoryPlaybook), testRegistry(t))
	if err != nil {
		t.Fatal(err)
	}
	want := []InventoryRef{{Name: "web", Pos: Pos{Line: 8, Col: 30}}, {Name: "", Pos: Pos{Line: 12, Col: 18}}}
	if diff := cmp.Diff(want, pb.Inventory); diff != "" {
		t.Errorf("inventory refs (-want +got):\n%s", diff)
	}
	inv := loadTestInventory(t)
	env := map[string]any{EnvInventory: InventoryData(inv), EnvInputs: map[string]any{"group": "tag:canary"}}
	got, err := vm.Run(pb.Steps[0].Foreach.Program, env)
	if err != nil {
		t.Fatal(err)
	}
	names := func(v any) []string {
		var out []string
		for _, h := range v.([]any) {
			out = append(out, h.(map[string]any)["name"].(string))
		}
		return out
	}
	if diff := cmp.Diff([]string{"web-1", "web-2"}, names(got)); diff != "" {
		t.Errorf("inventory.hosts(\"web\") (-want +got):\n%s", diff)
	}
	got, err = vm.Run(pb.Steps[1].Foreach.Program, env)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"web-1"}, names(got)); diff != "" {
		t.Errorf("inventory.hosts(inputs.group) with tag:canary (-want +got):\n%s", diff)
	}
	host := got.([]any)[0].(map[string]any)
	if diff := cmp.Diff(map[string]any{"role": "primary"}, host["vars"]); diff != "" {
		t.Errorf("vars (-want +got):\n%s", diff)
	}

	// A name the inventory lacks, at run time, and no inventory at all.
	env[EnvInputs] = map[string]any{"group": "wbe"}
	if _, err := vm.Run(pb.Steps[1].Foreach.Program, env); err == nil || !strings.Contains(err.Error(), `inventory fleet.yaml has no group or host "wbe" (did you mean "web"?)`) {
		t.Errorf("unknown group: %v", err)
	}
	delete(env, EnvInventory)
	if _, err := vm.Run(pb.Steps[0].Foreach.Program, env); err == nil || !strings.Contains(err.Error(), "no inventory is loaded; run with --inventory FILE") {
		t.Errorf("no inventory: %v", err)
	}
}

// TestInventoryHostsChecked checks literal names against an inventory
// given at load time, and the run service's check before a run.
func TestInventoryHostsChecked(t *testing.T) {
	inv := loadTestInventory(t)
	src := strings.Replace(inventoryPlaybook, `inventory.hosts("web")`, `inventory.hosts("wbe")`, 1)
	_, err := Parse("fleet.yaml", []byte(src), testRegistry(t), WithInventory(inv))
	var ds Diagnostics
	if !errors.As(err, &ds) || len(ds) != 1 {
		t.Fatalf("want one diagnostic, got %v", err)
	}
	if got, want := ds[0].Error(), `fleet.yaml:8:30: inventory.hosts: inventory fleet.yaml has no group or host "wbe" (did you mean "web"?)`; got != want {
		t.Errorf("diagnostic\n got %s\nwant %s", got, want)
	}
	if _, err := Parse("fleet.yaml", []byte(inventoryPlaybook), testRegistry(t), WithInventory(inv)); err != nil {
		t.Errorf("valid names refused: %v", err)
	}

	pb, err := Parse("fleet.yaml", []byte(src), testRegistry(t))
	if err != nil {
		t.Fatalf("without an inventory, names cannot be checked at load: %v", err)
	}
	if err := pb.CheckInventory(inv); err == nil || !strings.Contains(err.Error(), `fleet.yaml:8:30: inventory.hosts: inventory fleet.yaml has no group or host "wbe"`) {
		t.Errorf("CheckInventory: %v", err)
	}
	err = pb.CheckInventory(nil)
	if !errors.As(err, &ds) || len(ds) != 2 || !strings.Contains(ds[0].Msg, "inventory.hosts needs an inventory: give one with --inventory FILE") {
		t.Errorf("CheckInventory without an inventory: %v", err)
	}
	plain, err := Parse("plain.yaml", []byte("version: 1\nname: plain\nsteps:\n  - {id: a, op: control.noop}\n"), testRegistry(t))
	if err != nil {
		t.Fatal(err)
	}
	if err := plain.CheckInventory(nil); err != nil {
		t.Errorf("a playbook without inventory.hosts needs no inventory: %v", err)
	}
}

// TestInventoryHostsMisuse refuses every other way of reaching the
// inventory, and wrong arguments, with the position of the mistake.
func TestInventoryHostsMisuse(t *testing.T) {
	for _, tc := range []struct{ expr, want string }{
		{`inventory`, `the inventory is read with inventory.hosts("group")`},
		{`inventory["select"]`, `the inventory is read with inventory.hosts("group")`},
		{`toJSON(inventory)`, `the inventory is read with inventory.hosts("group")`},
		{`inventory.groups("web")`, `inventory has only hosts("name"), not groups`},
		{`inventory.hosts`, `the inventory is read with inventory.hosts("group")`},
		{`inventory.hosts("")`, `x.yaml:6:30: inventory.hosts(""): give a group or host name, tag:NAME, or "all"`},
		{`inventory.hosts(1)`, `cannot use int as argument (type string) to call inventory.hosts`},
		{`inventory.hosts()`, `not enough arguments to call inventory.hosts`},
		{`inventory.hosts("a", "b")`, `too many arguments to call inventory.hosts`},
		{`let inventory = [1]; inventory`, `the inventory is read with inventory.hosts("group")`},
	} {
		src := "version: 1\nname: x\nsteps:\n  - id: a\n    op: control.log\n    foreach: " + tc.expr + "\n    with: {message: x}\n"
		_, err := Parse("x.yaml", []byte(src), testRegistry(t))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: got %v, want %q", tc.expr, err, tc.want)
		}
	}
}

// TestLiteralParam finds a literal parameter beside computed ones, and
// none when it is computed itself.
func TestLiteralParam(t *testing.T) {
	src := `version: 1
name: x
inputs:
  msg: {type: string, default: hi}
steps:
  - {id: all_literal, op: control.log, with: {message: hello, level: warn}}
  - {id: mixed, op: control.log, with: {message: "${{ inputs.msg }}", level: warn}}
  - {id: computed, op: control.log, with: {message: "${{ inputs.msg }}"}}
`
	pb, err := Parse("x.yaml", []byte(src), testRegistry(t))
	if err != nil {
		t.Fatal(err)
	}
	type got struct {
		V  any
		OK bool
	}
	var out []got
	for _, st := range pb.Steps {
		v, ok := st.LiteralParam("level")
		out = append(out, got{v, ok})
		v, ok = st.LiteralParam("message")
		out = append(out, got{v, ok})
	}
	want := []got{{"warn", true}, {"hello", true}, {"warn", true}, {nil, false}, {nil, false}, {nil, false}}
	if diff := cmp.Diff(want, out); diff != "" {
		t.Errorf("LiteralParam (-want +got):\n%s", diff)
	}
}

// fakeSSH stands for an ssh.* operation: it acts on the host its host
// parameter names.
type fakeSSH struct{ ops.Func }

func (fakeSSH) HostParam() string { return "host" }

// TestLiteralHostChecked: a step's literal host that the inventory lacks,
// a typo of an inventory name, is refused at validate --inventory and
// before a run starts, instead of failing that step after the steps
// before it changed the fleet; an address, an inventory host and a
// computed host pass.
func TestLiteralHostChecked(t *testing.T) {
	reg := testRegistry(t)
	nop := ops.Func(func(context.Context, ops.Params) (map[string]any, error) { return nil, nil })
	spec := ops.Spec{Name: "fake.ssh", Description: "acts on a host", Risk: ops.RiskWrite,
		Params: []ops.Param{{Name: "host", Type: ops.TypeString, Required: true}}}
	if err := reg.Register(spec, fakeSSH{nop}); err != nil {
		t.Fatal(err)
	}
	src := `version: 1
name: roll
inputs:
  h: {type: string, default: web-2}
steps:
  - {id: a, op: fake.ssh, with: {host: web-1}}
  - {id: b, op: fake.ssh, with: {host: web1}}
  - {id: c, op: fake.ssh, with: {host: "root@10.0.0.9"}}
  - {id: d, op: fake.ssh, with: {host: "${{ inputs.h }}"}}
`
	inv := loadTestInventory(t)
	const want = `roll.yaml:7:40: host "web1" is not in inventory fleet.yaml (did you mean "web-1"?); to reach an address directly write user@web1 or web1:22`
	_, err := Parse("roll.yaml", []byte(src), reg, WithInventory(inv))
	if err == nil || err.Error() != want {
		t.Errorf("validate --inventory:\n got %v\nwant %s", err, want)
	}
	pb, err := Parse("roll.yaml", []byte(src), reg)
	if err != nil {
		t.Fatalf("without an inventory a literal host cannot be checked at load: %v", err)
	}
	if err := pb.CheckInventory(inv); err == nil || err.Error() != want {
		t.Errorf("before the run:\n got %v\nwant %s", err, want)
	}
	if err := pb.CheckInventory(nil); err == nil || !strings.Contains(err.Error(), `host "web-1": no inventory is loaded`) {
		t.Errorf("before a run without an inventory: %v", err)
	}
	fixed := strings.Replace(src, "host: web1}", "host: web-2}", 1)
	if pb, err := Parse("roll.yaml", []byte(fixed), reg, WithInventory(inv)); err != nil {
		t.Errorf("valid hosts refused: %v", err)
	} else if err := pb.CheckInventory(inv); err != nil {
		t.Errorf("valid hosts refused before the run: %v", err)
	}
}
