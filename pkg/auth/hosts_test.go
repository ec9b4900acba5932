package auth

import (
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/arsenal-run/arsenal-run/internal/yamlx"
	"github.com/arsenal-run/arsenal-run/pkg/inventory"
	"github.com/arsenal-run/arsenal-run/pkg/ops"
	"github.com/arsenal-run/arsenal-run/pkg/ops/remote"
	"github.com/arsenal-run/arsenal-run/pkg/steps"
	"github.com/arsenal-run/arsenal-run/schema/schematest"
)

// remoteRegistry is the test registry plus the real ssh.* operations
// (nothing connects: preflight only reads their parameters).
func remoteRegistry(t *testing.T) *ops.Registry {
	t.Helper()
	r := testRegistry(t)
	if err := remote.Register(r, remote.Settings{Agent: "none"}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() })
	return r
}

const fleetInventory = `version: 1
hosts:
  web-1: {address: 10.0.0.11}
  web-2: {address: 10.0.0.12, tags: [canary]}
  db-1: {address: 10.0.0.21, tags: [canary]}
  db-2: {address: 10.0.0.22}
groups:
  web: [web-1, web-2]
  db: [db-1, db-2]
`

func parseFleet(t *testing.T) *inventory.Inventory {
	t.Helper()
	inv, err := inventory.Parse("fleet.yaml", []byte(fleetInventory))
	if err != nil {
		t.Fatal(err)
	}
	return inv
}

// TestHostsPatternsChecked refuses what is not a host or group name,
// tag:NAME or *, with its position, in the loader and the schema alike.
func TestHostsPatternsChecked(t *testing.T) {
	src := "version: 1\nroles:\n  r:\n    hosts: [web, \"tag:canary\", \"*\", \"web 1\", \"tag:\", all]\n"
	_, err := ParsePolicy("p.yaml", []byte(src), testRegistry(t))
	var ds yamlx.Diagnostics
	if !errors.As(err, &ds) {
		t.Fatalf("want diagnostics, got %v", err)
	}
	var got []string
	for _, d := range ds {
		got = append(got, d.Error())
	}
	want := []string{
		`p.yaml:4:37: hosts: "web 1" is not a host or group name, tag:NAME or *; names use letters, digits, _, . and -`,
		`p.yaml:4:46: hosts: "tag:" is not a host or group name, tag:NAME or *; names use letters, digits, _, . and -`,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	s := schematest.Compile(t, "policy")
	if err := s.Validate(yamlToJSON(t, []byte(src))); err == nil {
		t.Errorf("the schema accepts bad host patterns")
	}
	if err := s.Validate(yamlToJSON(t, []byte("version: 1\nroles: {r: {hosts: [web, \"tag:canary\", \"*\"]}}\n"))); err != nil {
		t.Errorf("the schema refuses good host patterns: %v", err)
	}
}

// TestAllowHost checks the scope's host rule: in a role and what it
// inherits, only roles that set hosts: count; among the roles that allow
// an operation, a name, group, tag or * of any allows, and a role without
// hosts: allows every host.
func TestAllowHost(t *testing.T) {
	p, err := ParsePolicy("p.yaml", []byte(`version: 1
roles:
  web-ops: {max_risk: write, hosts: [web]}
  canary: {max_risk: read, hosts: ["tag:canary", db-2]}
  nobody: {max_risk: write, hosts: []}
  all-hosts: {max_risk: write, hosts: ["*"]}
  inherits-web: {inherits: [web-ops, operator]}
`), testRegistry(t))
	if err != nil {
		t.Fatal(err)
	}
	inv := parseFleet(t)
	check := func(roles []string, target string) string {
		s, err := p.Subject(roles, nil)
		if err != nil {
			t.Fatal(err)
		}
		h, err := inv.Resolve(target)
		if err != nil {
			t.Fatal(err)
		}
		// An ssh.* read, which every role here allows: a host any of
		// them allows is allowed; a denial gives the first held's reason.
		if err := s.Scope("ssh.exec", ops.RiskRead).AllowHost(h.Name, h.Groups, h.Tags); err != nil {
			if !errors.Is(err, ops.ErrDenied) {
				t.Errorf("%v: %s: the error does not wrap ops.ErrDenied: %v", roles, target, err)
			}
			return err.Error()
		}
		return "allowed"
	}
	for _, tc := range []struct {
		roles  []string
		target string
		want   string
	}{
		{[]string{"operator"}, "db-1", "allowed"},
		{[]string{"web-ops"}, "web-2", "allowed"},
		{[]string{"web-ops"}, "db-1", "denied: host db-1 (groups db; tags canary) is not among the hosts of role web-ops (hosts: web)"},
		// operator, held beside web-ops, allows any host by itself.
		{[]string{"web-ops", "operator"}, "db-2", "allowed"},
		{[]string{"canary"}, "web-2", "allowed"},
		{[]string{"canary"}, "db-2", "allowed"},
		{[]string{"web-ops", "canary"}, "db-1", "allowed"},
		{[]string{"web-ops", "canary"}, "deploy@10.0.0.5:22", "denied: host deploy@10.0.0.5:22 is not among the hosts of role web-ops (hosts: web)"},
		{[]string{"all-hosts"}, "deploy@10.0.0.5:22", "allowed"},
		{[]string{"nobody"}, "web-1", "denied: host web-1 (groups web) is not among the hosts of role nobody (hosts: none)"},
		{[]string{"inherits-web"}, "web-1", "allowed"},
		{[]string{"inherits-web"}, "db-2", "denied: host db-2 (groups db) is not among the hosts of role web-ops (hosts: web)"},
	} {
		if got := check(tc.roles, tc.target); got != tc.want {
			t.Errorf("%v on %s:\n got %s\nwant %s", tc.roles, tc.target, got, tc.want)
		}
	}
}

// TestPreflightHosts denies a step whose literal host the caller's roles
// may not touch, before anything runs; a host computed by an expression is
// left to the run time check.
func TestPreflightHosts(t *testing.T) {
	reg := remoteRegistry(t)
	p, err := ParsePolicy("p.yaml", []byte("version: 1\nroles:\n  web-ops: {max_risk: write, hosts: [web, \"tag:canary\"]}\n"), reg)
	if err != nil {
		t.Fatal(err)
	}
	pb, err := steps.Parse("fleet.yaml", []byte(`version: 1
name: fleet
steps:
  - {id: web, op: ssh.exec, with: {host: web-1, command: [uptime]}}
  - {id: canary, op: ssh.facts, with: {host: db-1}}
  - {id: db, op: ssh.exec, with: {host: db-2, command: [uptime]}}
  - {id: direct, op: ssh.exec, with: {host: "deploy@10.0.0.5:22", command: [uptime]}}
  - {id: each, op: ssh.exec, foreach: inventory.hosts("db"), with: {host: "${{ item.name }}", command: [uptime]}}
  - {id: each_web, op: ssh.exec, foreach: "inventory.hosts('web')", with: {host: "${{ item.name }}", command: [uptime]}}
  - {id: local, op: control.noop}
`), reg)
	if err != nil {
		t.Fatal(err)
	}
	verdicts := func(opts ...PreflightOption) map[string]string {
		ds, err := p.Preflight([]string{"web-ops"}, pb, reg, opts...)
		if err != nil {
			t.Fatal(err)
		}
		out := map[string]string{}
		for _, d := range ds {
			out[d.Step] = "allowed"
			if !d.Decision.Allowed {
				out[d.Step] = d.Decision.Rule
			}
		}
		return out
	}
	want := map[string]string{
		"web": "allowed", "canary": "allowed", "local": "allowed", "each_web": "allowed",
		"db":     "host db-2 (groups db) is not among the hosts of role web-ops (hosts: tag:canary, web)",
		"direct": "host deploy@10.0.0.5:22 is not among the hosts of role web-ops (hosts: tag:canary, web)",
		// A fan-out over a literal group: its hosts are known before the
		// run, and one it may not act on refuses the step then, not
		// halfway through the rollout.
		"each": `host db-2 (groups db) is not among the hosts of role web-ops (hosts: tag:canary, web) (an item of inventory.hosts("db"))`,
	}
	if diff := cmp.Diff(want, verdicts(WithInventory(parseFleet(t)))); diff != "" {
		t.Errorf("with the inventory (-want +got):\n%s", diff)
	}
	// Without the inventory, names cannot be placed in groups: only the
	// address is decided, and the hosts of a fan-out when it runs.
	want["db"], want["each"] = "allowed", "allowed"
	if diff := cmp.Diff(want, verdicts()); diff != "" {
		t.Errorf("without an inventory (-want +got):\n%s", diff)
	}
	if len(Denied(mustPreflight(t, p, pb, reg))) == 0 {
		t.Errorf("no step denied")
	}
}

func mustPreflight(t *testing.T, p *Policy, pb *steps.Playbook, reg *ops.Registry) []StepDecision {
	t.Helper()
	ds, err := p.Preflight([]string{"web-ops"}, pb, reg, WithInventory(parseFleet(t)))
	if err != nil {
		t.Fatal(err)
	}
	return ds
}
