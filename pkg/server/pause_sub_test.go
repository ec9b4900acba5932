package server

import (
	"strings"
	"testing"
)

// TestPausingAScheduleWithAComputedSubPlaybook: a scheduled playbook whose
// playbook.run path is computed when it runs may run any playbook there,
// so only roles that may run every operation, at its highest risk, could
// have started it, and only they may pause or resume its schedule. Before,
// the playbook was judged as written, and an operator paused the schedule
// of an admin's playbook whose sub-playbook deletes files.
func TestPausingAScheduleWithAComputedSubPlaybook(t *testing.T) {
	ts := newTestServer(t, func(c *Config) { c.Scheduling = func() bool { return true } })
	ts.addPlaybook(t, "purge.yaml", `version: 1
name: purge
inputs: {sub: {type: string, default: wipe.yaml}}
schedule: {cron: "0 4 * * *"}
steps:
  - {id: call, op: playbook.run, with: {path: "${{ inputs.sub }}"}}
`)
	ts.addPlaybook(t, "wipe.yaml", "version: 1\nname: wipe\nsteps:\n  - {id: del, op: file.delete, with: {path: gone.txt, missing_ok: true}}\n")

	for _, s := range ts.get("operator", "/api/v1/schedules").want(t, 200).json(t)["schedules"].([]any) {
		if e := s.(map[string]any); e["playbook"] == "purge" && e["may_act"] != false {
			t.Errorf("the operator is offered to pause purge: %v", e)
		}
	}
	for _, verb := range []string{"pause", "resume"} {
		e := ts.post("operator", "/api/v1/schedules/purge/"+verb, nil).wantError(t, 403, ClassAuthorization)
		if msg, _ := e["message"].(string); !strings.Contains(msg, "sub-playbook known only when it runs") {
			t.Errorf("403 for the operator's %s: %v", verb, e)
		}
	}
	ts.post("admin", "/api/v1/schedules/purge/pause", nil).want(t, 200)
	ts.post("admin", "/api/v1/schedules/purge/resume", nil).want(t, 200)
}
