package cli

import (
	"strings"
	"testing"

	"github.com/rs/zerolog"

	"github.com/arsenal-run/arsenal-run/pkg/inventory"
)

// TestScheduledHostsJudgedByTheInventory: the check of the scheduled
// playbooks at start (and on reload), of `schedule` and of `serve`,
// judges a literal ssh.* host by its groups and tags in the runs'
// inventory, as each run's preflight does. Before, it judged without the
// inventory, let the host through, and started a schedule whose every run
// was then denied.
func TestScheduledHostsJudgedByTheInventory(t *testing.T) {
	playbookDir(t, map[string]string{
		"inv.yaml": `version: 1
hosts:
  web-1: {address: 127.0.0.1, port: 1}
  db-1: {address: 127.0.0.1, port: 1}
groups:
  web: [web-1]
  db: [db-1]
`,
		"policy.yaml": `version: 1
roles:
  deployer: {max_risk: write, hosts: [web]}
  operator: {max_risk: write, hosts: [web]}
`,
		"keys.yaml": "version: 1\nkeys:\n  - {name: ci, sha256: " + strings.Repeat("ab", 32) + ", roles: [operator]}\n",
		"jobs/deploy.yaml": `version: 1
name: deploy
schedule: {cron: "@hourly"}
steps:
  - id: go
    op: ssh.exec
    with: {host: db-1, command: [uptime]}
`,
	})
	reg, err := NewRegistry()
	if err != nil {
		t.Fatal(err)
	}
	defer reg.Close()
	inv, err := inventory.Load("inv.yaml")
	if err != nil {
		t.Fatal(err)
	}
	const want = "jobs/deploy.yaml:5:5: step go: op ssh.exec (write) is denied for role %s: host db-1 (groups db) is not among the hosts of role %s (hosts: web)"

	set := checkSchedule(reg, []string{"jobs"}, "policy.yaml", []string{"deployer"}, "", func(string) (string, bool) { return "", false }, inv)
	if got := strings.Join(set.problems, "\n"); set.denied != 1 || got != strings.ReplaceAll(want, "%s", "deployer") {
		t.Errorf("schedule's check: %d denied, problems:\n%s", set.denied, got)
	}

	d := &daemon{o: serveOptions{keys: "keys.yaml", policy: "policy.yaml", playbooks: "jobs"}, reg: reg, inv: inv, log: zerolog.Nop()}
	_, denied, ok := d.load(func(err error) { t.Errorf("serve's check: %v", err) })
	if got := strings.Join(denied, "\n"); !ok || got != strings.ReplaceAll(want, "%s", "operator") {
		t.Errorf("serve's check of its scheduled playbooks: ok %v, denied:\n%s", ok, got)
	}
}
