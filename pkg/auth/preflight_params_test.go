package auth

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/arsenal-run/arsenal-run/pkg/ops"
	"github.com/arsenal-run/arsenal-run/pkg/ops/builtin"
	"github.com/arsenal-run/arsenal-run/pkg/steps"
)

// TestPreflightDecidesAKnownSandbox: under a role that requires a sandbox,
// a step whose sandbox is known before the run is decided at preflight as
// the run decides it: left out or wider than the role allows, denied (it
// was allowed by validate and schedule, then denied on every run); within
// the limits, allowed. A sandbox written as an expression is left to the
// run.
func TestPreflightDecidesAKnownSandbox(t *testing.T) {
	reg := builtinRegistry(t)
	dir := t.TempDir()
	pb, err := steps.Load(writeFile(t, dir, "pb.yaml", `version: 1
name: t
inputs:
  lim: {type: map, default: {}}
steps:
  - {id: bare, op: shell.exec, with: {command: ["true"]}}
  - {id: boxed, op: shell.exec, with: {command: ["true"], sandbox: {}}}
  - {id: wide, op: shell.exec, with: {command: ["true"], sandbox: {network: true}}}
  - {id: later, op: shell.exec, with: {command: ["true"], sandbox: "${{ inputs.lim }}"}}
  - {id: dyn, op: shell.exec, with: {command: ["${{ inputs.lim.cmd ?? 'true' }}"]}}
`), reg)
	if err != nil {
		t.Fatal(err)
	}
	p, err := ParsePolicy(filepath.Join(dir, "policy.yaml"), []byte(`version: 1
roles:
  ci: {inherits: [operator], require_sandbox: true}
`), reg)
	if err != nil {
		t.Fatal(err)
	}
	ds, err := p.Preflight([]string{"ci"}, pb, reg)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"bare": "add sandbox: {}", "boxed": "", "wide": "network", "later": "", "dyn": "add sandbox: {}"}
	wantDecisions(t, ds, want)
	ds, _ = p.Preflight([]string{"operator"}, pb, reg)
	if len(Denied(ds)) != 0 {
		t.Errorf("a role without the requirement: %+v", Denied(ds))
	}
}

// TestPreflightSaysWhyAComputedModeIsDestructive: a file.write whose mode
// is computed when it runs counts as destructive (it may be setuid); the
// denial says so and what to do, where it only named the risk.
func TestPreflightSaysWhyAComputedModeIsDestructive(t *testing.T) {
	reg := builtinRegistry(t)
	dir := t.TempDir()
	pb, err := steps.Load(writeFile(t, dir, "pb.yaml", `version: 1
name: t
inputs:
  mode: {type: string, default: "0644"}
steps:
  - {id: computed, op: file.write, with: {path: x.txt, content: hi, mode: "${{ inputs.mode }}"}}
  - {id: setuid, op: file.write, with: {path: y.txt, content: hi, mode: "4755"}}
`), reg)
	if err != nil {
		t.Fatal(err)
	}
	ds, err := Builtin().Preflight([]string{"operator"}, pb, reg)
	if err != nil {
		t.Fatal(err)
	}
	if d := ds[0].Decision; d.Allowed || !strings.Contains(d.Rule, "(such as mode) is computed when the step runs") {
		t.Errorf("computed mode: %+v", d)
	}
	if d := ds[1].Decision; d.Allowed || strings.Contains(d.Rule, "computed") {
		t.Errorf("a literal setuid mode is destructive by itself: %+v", d)
	}
}

// builtinRegistry is a registry of the built-in operations, closed when
// the test ends.
func builtinRegistry(t *testing.T) *ops.Registry {
	t.Helper()
	reg := ops.NewRegistry()
	if err := builtin.Register(reg, builtin.Options{}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { reg.Close() })
	return reg
}

// TestPreflightDecidesALiteralAddress: a step whose target is written
// literally is decided at preflight when its http rules can tell now (an
// address, or a name denied by name), rather than allowed by validate and
// denied at the dial on every run; computed targets, and names an address
// rule may let through, are left to the dial.
func TestPreflightDecidesALiteralAddress(t *testing.T) {
	reg := builtinRegistry(t)
	dir := t.TempDir()
	pb, err := steps.Load(writeFile(t, dir, "pb.yaml", `version: 1
name: t
inputs:
  url: {type: string, default: "http://127.0.0.1/"}
steps:
  - {id: loop, op: http.request, with: {url: "http://127.0.0.1:8080/x"}}
  - {id: mapped, op: net.tcp_check, with: {address: "[::ffff:127.0.0.1]:22"}}
  - {id: unspecified, op: http.request, with: {url: "http://0.0.0.0/"}}
  - {id: zoned, op: http.request, with: {url: "http://[fe80::1%25lo]/"}}
  - {id: denied_name, op: http.request, with: {url: "https://admin.internal.example/"}}
  - {id: lookup, op: net.dns_lookup, with: {name: admin.internal.example}}
  - {id: fine, op: http.request, with: {url: "https://api.example.com/"}}
  - {id: later, op: http.request, with: {url: "${{ inputs.url }}"}}
`), reg)
	if err != nil {
		t.Fatal(err)
	}
	p, err := ParsePolicy(filepath.Join(dir, "policy.yaml"), []byte(`version: 1
roles:
  ci: {inherits: [operator], http: {deny_loopback: true, deny_hosts: ["*.internal.example"]}}
`), reg)
	if err != nil {
		t.Fatal(err)
	}
	ds, err := p.Preflight([]string{"ci"}, pb, reg)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"loop": "loopback", "mapped": "loopback", "unspecified": "loopback", "zoned": "link-local IPv6 address with a zone (%lo", "denied_name": "*.internal.example", "lookup": "*.internal.example", "fine": "", "later": ""}
	wantDecisions(t, ds, want)
	if ds, _ = p.Preflight([]string{"operator"}, pb, reg); len(Denied(ds)) != 0 {
		t.Errorf("a role without http rules: %+v", Denied(ds))
	}
}

// wantDecisions checks each step's decision against want: "" allowed, else
// denied with a rule that holds the text.
func wantDecisions(t *testing.T, ds []StepDecision, want map[string]string) {
	t.Helper()
	for _, d := range ds {
		w := want[d.Step]
		switch {
		case w == "" && !d.Decision.Allowed:
			t.Errorf("step %s denied: %s", d.Step, d.Decision.Rule)
		case w != "" && (d.Decision.Allowed || !strings.Contains(d.Decision.Rule, w)):
			t.Errorf("step %s: %+v; want it denied, naming %q", d.Step, d.Decision, w)
		}
	}
}

// TestPreflightDecidesLiteralNodes: the url and address of each node of
// cluster.health and cluster.topology are targets too, judged at
// preflight like the one target of http.request, rather than allowed by
// validate and denied at the dial after the steps before them. In a list
// written partly with expressions, what is literal is judged.
func TestPreflightDecidesLiteralNodes(t *testing.T) {
	reg := builtinRegistry(t)
	dir := t.TempDir()
	pb, err := steps.Load(writeFile(t, dir, "pb.yaml", `version: 1
name: t
inputs:
  url: {type: string, default: "http://127.0.0.1/"}
  nodes: {type: list, default: []}
steps:
  - {id: url, op: cluster.health, with: {nodes: [{name: a, url: "https://api.example.com/"}, {name: b, url: "http://127.0.0.1:18081/ok"}]}}
  - {id: address, op: cluster.topology, with: {nodes: [{name: a, address: "[::1]:22"}]}}
  - {id: name, op: cluster.health, with: {nodes: [{name: a, address: "db.internal.example:5432"}]}}
  - {id: partly, op: cluster.health, with: {timeout: "${{ '1s' }}", nodes: [{name: "${{ 'a' }}", address: "127.0.0.1:22"}, {name: b, url: "${{ inputs.url }}"}]}}
  - {id: fine, op: cluster.health, with: {nodes: [{name: a, url: "https://api.example.com/"}, {name: b, url: "${{ inputs.url }}"}]}}
  - {id: computed, op: cluster.health, with: {nodes: "${{ inputs.nodes }}"}}
  - {id: file, op: cluster.health, with: {inventory: nodes.yaml}}
`), reg)
	if err != nil {
		t.Fatal(err)
	}
	p, err := ParsePolicy(filepath.Join(dir, "policy.yaml"), []byte(`version: 1
roles:
  probe: {allow: [cluster.*], http: {deny_loopback: true, deny_hosts: ["*.internal.example"]}}
`), reg)
	if err != nil {
		t.Fatal(err)
	}
	ds, err := p.Preflight([]string{"probe"}, pb, reg)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"url": "nodes item 1 (b), url: ", "address": "nodes item 0 (a), address: ", "name": "*.internal.example",
		"partly": "nodes item 0, address: ", "fine": "", "computed": "", "file": ""}
	wantDecisions(t, ds, want)
	for _, d := range ds {
		if d.Step == "url" && !strings.Contains(d.Decision.Rule, "loopback") {
			t.Errorf("step url: %q, want it to say loopback", d.Decision.Rule)
		}
	}
}
