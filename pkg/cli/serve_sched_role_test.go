package cli

import (
	"net/http"
	"slices"
	"syscall"
	"testing"
)

// housekeepingPolicy denies tick's step to operator and allows it to
// housekeeping.
const housekeepingPolicy = "version: 1\nroles:\n  operator: {inherits: [viewer], max_risk: write, deny: [control.log]}\n  housekeeping: {inherits: [viewer]}\n"

// TestServeScheduleRoleGivesScheduledRunsItsRoles: serve --schedule-role
// gives the scheduled runs a role of serve's policy other than operator,
// so that a scheduled playbook needs no wider operator (and with it every
// operator key). Without it the playbook operator is denied stops serve,
// exit 3, pointing at the flag. A SIGHUP judges the scheduled playbooks by
// the flag's roles still, and a reloaded policy that no longer defines
// them is not taken in.
func TestServeScheduleRoleGivesScheduledRunsItsRoles(t *testing.T) {
	f := newServeFixture(t)
	writePlaybook(t, f.playbooks, "tick.yaml", tickPlaybook)
	policy := writePlaybook(t, f.dir, "policy.yaml", housekeepingPolicy)

	runWithin(t, "serve", "--listen", "127.0.0.1:0", "--keys", f.keys, "--playbooks", f.playbooks, "--state-dir", f.state, "--policy", policy).
		want(t, ExitDenied, nil, []string{
			"tick.yaml:5:5: step a: op control.log (read) is denied for role operator",
			"(serve's scheduled runs have role operator; --schedule-role gives them others)",
		})

	p, base := f.serve(t, "--policy", policy, "--schedule-role", "housekeeping")
	waitForRun(t, base, f.admin, "tick", "succeeded")
	code, body := apiCall(t, http.MethodGet, base+"/api/v1/runs?playbook=tick&status=succeeded&limit=1", f.admin, nil)
	if code != http.StatusOK {
		t.Fatalf("GET /api/v1/runs: %d %v", code, body)
	}
	run := body["runs"].([]any)[0].(map[string]any)
	if roles, _ := run["roles"].([]any); run["trigger"] != "schedule" || !slices.Equal(roles, []any{"housekeeping"}) {
		t.Errorf("a scheduled run: %v, want trigger schedule and roles [housekeeping]", run)
	}

	// A policy that denies the step to housekeeping: the reload's check
	// is of the flag's role, not of operator.
	writePlaybook(t, f.dir, "policy.yaml", "version: 1\nroles:\n  housekeeping: {inherits: [viewer], deny: [control.log]}\n")
	p.cmd.Process.Signal(syscall.SIGHUP)
	p.waitFor(t, "changes (serve's scheduled runs have role housekeeping; --schedule-role gives them others)")
	p.waitFor(t, "SIGHUP: the policy now denies a scheduled run: "+f.playbooks+"/tick.yaml:5:5: step a: op control.log (read) is denied for role housekeeping")

	// A policy without housekeeping is not taken in.
	writePlaybook(t, f.dir, "policy.yaml", "version: 1\nroles:\n  ci: {inherits: [viewer]}\n")
	p.cmd.Process.Signal(syscall.SIGHUP)
	p.waitFor(t, "SIGHUP: kept the previous keys, policy and playbooks")
	p.waitFor(t, `--schedule-role: unknown role "housekeeping"; the policy `+policy+" defines")
	p.cmd.Process.Signal(syscall.SIGTERM)
	if c := p.wait(t); c != ExitOK {
		t.Errorf("exit %d\n%s", c, p.stderr.String())
	}
}

// TestServeScheduleRoleUnknownIsRefused: a --schedule-role that serve's
// policy does not define stops serve at start-up, exit 2, with a
// suggestion; one of a comma-separated list is found too.
func TestServeScheduleRoleUnknownIsRefused(t *testing.T) {
	f := newServeFixture(t)
	writePlaybook(t, f.playbooks, "tick.yaml", tickPlaybook)
	policy := writePlaybook(t, f.dir, "policy.yaml", housekeepingPolicy)
	runWithin(t, "serve", "--listen", "127.0.0.1:0", "--keys", f.keys, "--playbooks", f.playbooks, "--state-dir", f.state,
		"--policy", policy, "--schedule-role", "viewer,housekeepin").
		want(t, ExitUsage, nil, []string{`--schedule-role: unknown role "housekeepin" (did you mean "housekeeping"?); the policy ` + policy + " defines"})
	runWithin(t, "serve", "--listen", "127.0.0.1:0", "--keys", f.keys, "--state-dir", f.state, "--schedule-role", "operater").
		want(t, ExitUsage, nil, []string{`--schedule-role: unknown role "operater" (did you mean "operator"?); the built-in policy (no --policy) defines admin, operator, viewer`})
	// Roles for scheduled runs beside --no-schedule: one is a mistake.
	runWithin(t, "serve", "--listen", "127.0.0.1:0", "--keys", f.keys, "--state-dir", f.state, "--schedule-role", "admin", "--no-schedule").
		want(t, ExitUsage, nil, []string{"--schedule-role gives roles to scheduled runs, and --no-schedule runs none; drop one of them"})
}
