package cli

// The built binary against a fleet of real sshd on loopback ports, with an
// inventory, a known_hosts file and a policy file, as an operator runs it.

import (
	"encoding/xml"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/arsenal-run/arsenal-run/internal/sshdtest"
	"github.com/arsenal-run/arsenal-run/pkg/inventory"
	"github.com/arsenal-run/arsenal-run/pkg/report"
	"github.com/arsenal-run/arsenal-run/schema/schematest"
)

// fleetFiles starts one sshd per name and writes an inventory holding them,
// followed by more (groups:); it returns the fleet and the flags that
// reach it.
func fleetFiles(t *testing.T, more string, names ...string) (*sshdtest.Fleet, []string) {
	t.Helper()
	f := sshdtest.StartFleet(t, names...)
	inv := f.Inventory(t, t.TempDir(), nil, more)
	return f, []string{"--inventory", inv, "--known-hosts", f.KnownHosts}
}

// TestE2EForeachOverInventoryHosts fans out over inventory.hosts("web")
// with the built binary: every host runs the command once, over its own
// login, and reports as an item labelled with its name, in the JSON
// report, the JUnit file and the summary.
func TestE2EForeachOverInventoryHosts(t *testing.T) {
	f, flags := fleetFiles(t, "groups:\n  web: [web-1, web-2, web-3]\n", "web-1", "web-2", "web-3")
	dir := t.TempDir()
	pb := e2eFile(t, dir, "fleet.yaml", `version: 1
name: fleet
steps:
  - id: hello
    op: ssh.exec
    foreach: inventory.hosts("web")
    serial: 2
    with:
      host: ${{ item.name }}
      command: [sh, -c, 'echo hello from "$1"', sh, "${{ item.name }}"]
`)
	rep, junit := filepath.Join(dir, "r.json"), filepath.Join(dir, "r.xml")
	res := runBuilt(t, append([]string{"run", pb, "--report", rep, "--junit", junit, "--log-format", "json"}, flags...)...)
	if res.code != ExitOK {
		t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", res.code, res.stdout, res.stderr)
	}
	type host struct{ Label, Stdout string }
	var got []host
	for _, it := range stepRecord(t, readReport(t, rep), "hello").Items {
		out, _ := it.Output.(map[string]any)
		s, _ := out["stdout"].(string)
		got = append(got, host{it.Label, s})
	}
	want := []host{{"web-1", "hello from web-1\n"}, {"web-2", "hello from web-2\n"}, {"web-3", "hello from web-3\n"}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("items (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(map[string]int{"web-1": 1, "web-2": 1, "web-3": 1}, f.Logins()); diff != "" {
		t.Errorf("logins (-want +got):\n%s", diff)
	}
	b, err := os.ReadFile(junit)
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Cases []struct {
			Name string `xml:"name,attr"`
		} `xml:"testsuite>testcase"`
	}
	if err := xml.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, c := range doc.Cases {
		names = append(names, c.Name)
	}
	if diff := cmp.Diff([]string{"hello", "hello[web-1]", "hello[web-2]", "hello[web-3]"}, names); diff != "" {
		t.Errorf("JUnit testcases (-want +got):\n%s", diff)
	}
	for _, h := range []string{"web-1", "web-2", "web-3"} {
		if !strings.Contains(res.stdout, "✓ "+h) {
			t.Errorf("the summary has no row for %s:\n%s", h, res.stdout)
		}
	}

	// A group the inventory lacks is refused before anything runs, at
	// its position.
	bad := e2eFile(t, dir, "bad.yaml", strings.Replace(string(must(os.ReadFile(pb))), `inventory.hosts("web")`, `inventory.hosts("wbe")`, 1))
	res = runBuilt(t, append([]string{"run", bad}, flags...)...)
	if res.code != ExitUsage || !strings.Contains(res.stderr, `bad.yaml:6:30: inventory.hosts: inventory `) || !strings.Contains(res.stderr, `has no group or host "wbe" (did you mean "web"?)`) {
		t.Errorf("exit %d\nstderr:\n%s", res.code, res.stderr)
	}
	if diff := cmp.Diff(map[string]int{"web-1": 1, "web-2": 1, "web-3": 1}, f.Logins()); diff != "" {
		t.Errorf("a refused run connected (-want +got):\n%s", diff)
	}
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

// TestE2EPolicyHostsDeniedAtPreflight runs a playbook that restarts a
// service on a web host and on a database host, as a role whose policy
// allows only the web group: preflight refuses the run before anything
// runs, naming the host and its group, and neither host is connected to.
// validate --inventory says the same.
func TestE2EPolicyHostsDeniedAtPreflight(t *testing.T) {
	f, flags := fleetFiles(t, "groups:\n  web: [web-1]\n  db: [db-1]\n", "web-1", "db-1")
	dir := t.TempDir()
	policy := e2eFile(t, dir, "policy.yaml", "version: 1\nroles:\n  deployer:\n    max_risk: write\n    hosts: [web]\n")
	pb := e2eFile(t, dir, "restart.yaml", `version: 1
name: restart
steps:
  - {id: web, op: ssh.exec, with: {host: web-1, command: ["true"]}}
  - {id: db, op: ssh.exec, with: {host: db-1, command: ["true"]}}
`)
	rep := filepath.Join(dir, "r.json")
	res := runBuilt(t, append([]string{"run", pb, "--role", "deployer", "--policy", policy, "--report", rep}, flags...)...)
	if res.code != ExitDenied {
		t.Fatalf("exit %d, want %d\nstderr:\n%s", res.code, ExitDenied, res.stderr)
	}
	for _, want := range []string{
		"authorization denied 1 step for role deployer; nothing ran",
		"host db-1 (groups db) is not among the hosts of role deployer (hosts: web)",
	} {
		if !strings.Contains(res.stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, res.stderr)
		}
	}
	r := readReport(t, rep)
	if s := stepRecord(t, r, "db"); s.Status != report.StatusDenied || s.Authorization == nil || s.Authorization.Allowed {
		t.Errorf("step db: %s %+v", s.Status, s.Authorization)
	}
	if diff := cmp.Diff(map[string]int{"web-1": 0, "db-1": 0}, f.Logins()); diff != "" {
		t.Errorf("logins (-want +got):\n%s", diff)
	}

	res = runBuilt(t, append([]string{"validate", pb, "--role", "deployer", "--policy", policy}, flags[:2]...)...)
	if res.code != ExitDenied || !strings.Contains(res.stdout, "DENIED") || !strings.Contains(res.stdout, "host db-1 (groups db)") {
		t.Errorf("validate --inventory: exit %d\nstdout:\n%s\nstderr:\n%s", res.code, res.stdout, res.stderr)
	}
	// Allowed on the web host alone, it runs.
	web := e2eFile(t, dir, "web.yaml", "version: 1\nname: web\nsteps:\n  - {id: web, op: ssh.exec, with: {host: web-1, command: [\"true\"]}}\n")
	res = runBuilt(t, append([]string{"run", web, "--role", "deployer", "--policy", policy}, flags...)...)
	if res.code != ExitOK || f.Logins()["web-1"] != 1 {
		t.Errorf("the allowed host: exit %d, logins %v\nstderr:\n%s", res.code, f.Logins(), res.stderr)
	}
}

// TestExampleInventoryLoads keeps the example inventory of the fleet
// runbook valid, for the loader and the JSON Schema.
func TestExampleInventoryLoads(t *testing.T) {
	const file = "../../docs/examples/inventory.yaml"
	inv, err := inventory.Load(file)
	if err != nil {
		t.Fatal(err)
	}
	v, err := schematest.FromYAML(must(os.ReadFile(file)))
	if err != nil {
		t.Fatal(err)
	}
	if err := schematest.Compile(t, "inventory").Validate(v); err != nil {
		t.Errorf("%s does not match the inventory schema: %v", file, err)
	}
	hosts, err := inv.Hosts("web")
	if err != nil || len(hosts) != 3 || hosts[0].Jump == nil || hosts[0].Jump.Name != "bastion" {
		t.Errorf("web: %v %v", hosts, err)
	}
}

// TestRunKnownHostsFlags: --known-hosts replaces ~/.ssh/known_hosts; an
// unknown host fails its step saying how to trust it; a missing file is a
// usage error unless --accept-new-host-keys is given, which records the
// key, after which the host is known without the flag.
func TestRunKnownHostsFlags(t *testing.T) {
	t.Setenv("GITHUB_STEP_SUMMARY", "")
	f := sshdtest.StartFleet(t, "web-1")
	dir := t.TempDir()
	inv := f.Inventory(t, dir, nil, "")
	pb := e2eFile(t, dir, "one.yaml", "version: 1\nname: one\nsteps:\n  - {id: a, op: ssh.exec, with: {host: web-1, command: [\"true\"]}}\n")
	kh := filepath.Join(dir, "ssh", "known_hosts")
	if err := os.MkdirAll(filepath.Dir(kh), 0o700); err != nil {
		t.Fatal(err)
	}

	res := runMain(t, "run", pb, "--inventory", inv, "--known-hosts", kh)
	if res.code != ExitUsage || !strings.Contains(res.stderr, "--known-hosts "+kh+": no such file") || !strings.Contains(res.stderr, "--accept-new-host-keys") {
		t.Errorf("missing file: exit %d\n%s", res.code, res.stderr)
	}
	if err := os.WriteFile(kh, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	res = runMain(t, "run", pb, "--inventory", inv, "--known-hosts", kh)
	if res.code != ExitFailed || !strings.Contains(res.stdout, "host key of web-1") || !strings.Contains(res.stdout, "is unknown") || !strings.Contains(res.stdout, "run once with --accept-new-host-keys") {
		t.Errorf("unknown host: exit %d\nstdout:\n%s\nstderr:\n%s", res.code, res.stdout, res.stderr)
	}
	res = runMain(t, "run", pb, "--inventory", inv, "--known-hosts", kh, "--accept-new-host-keys")
	if res.code != ExitOK {
		t.Fatalf("accept-new: exit %d\nstdout:\n%s\nstderr:\n%s", res.code, res.stdout, res.stderr)
	}
	b, err := os.ReadFile(kh)
	if err != nil || !strings.Contains(string(b), fmt.Sprintf("[127.0.0.1]:%d ssh-ed25519 ", f.Servers[0].Port)) {
		t.Errorf("known_hosts after accept-new: %q %v", b, err)
	}
	res = runMain(t, "run", pb, "--inventory", inv, "--known-hosts", kh)
	if res.code != ExitOK {
		t.Errorf("the accepted key: exit %d\nstdout:\n%s", res.code, res.stdout)
	}
}
