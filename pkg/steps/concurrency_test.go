package steps

import (
	"strings"
	"testing"
)

// TestTopConcurrencyNotANumber: a playbook's concurrency: is a group, not
// how many steps run at once. concurrency: 4 (as a step's) was refused
// with "must be a string", which quoting turned into a group named "4";
// the error says what the key is and points a number at max_parallel.
func TestTopConcurrencyNotANumber(t *testing.T) {
	reg := testRegistry(t)
	for value, want := range map[string]string{
		"4":     "p.yaml:3:14: concurrency at the top of a playbook is a group name (concurrency: deploy) or {group: ..., policy: ...}, not an integer (4); to cap how many steps run at once, write max_parallel: 4",
		"true":  "p.yaml:3:14: concurrency at the top of a playbook is a group name (concurrency: deploy) or {group: ..., policy: ...}, not a bool (true)",
		"[a]":   "concurrency must be a mapping",
		"\"4\"": "",
	} {
		_, err := Parse("p.yaml", []byte("version: 1\nname: c\nconcurrency: "+value+"\nsteps:\n  - {id: a, op: control.noop}\n"), reg)
		switch {
		case want == "" && err != nil:
			t.Errorf("concurrency: %s: %v", value, err)
		case want != "" && (err == nil || !strings.Contains(err.Error(), want)):
			t.Errorf("concurrency: %s: got %v\nwant %q", value, err, want)
		}
	}
}

// TestConcurrencyGroupRefusesASecret: a group named by a secret input, or
// by the variable that supplies one, would show the secret in clear in the
// message of a run that waits for it and in the history; it is refused.
// A plain input names a group as before.
func TestConcurrencyGroupRefusesASecret(t *testing.T) {
	reg := testRegistry(t)
	head := "version: 1\nname: c\ninputs:\n  token: {type: string, secret: true, env: DEPLOY_TOKEN}\n  service: {type: string, default: web}\n"
	for group, want := range map[string]string{
		`"deploy-${{ inputs.token }}"`:       "p.yaml:6:26: concurrency.group reads inputs.token, a secret input, but a group's name is shown in clear",
		`{group: "${{ env.DEPLOY_TOKEN }}"}`: "p.yaml:6:27: concurrency.group reads env.DEPLOY_TOKEN, the variable that supplies secret input token",
		`"deploy-${{ inputs.service }}"`:     "",
		`{group: "${{ env.HOME }}"}`:         "",
	} {
		_, err := Parse("p.yaml", []byte(head+"concurrency: "+group+"\nsteps:\n  - {id: a, op: control.noop}\n"), reg)
		switch {
		case want == "" && err != nil:
			t.Errorf("concurrency: %s: %v", group, err)
		case want != "" && (err == nil || !strings.Contains(err.Error(), want)):
			t.Errorf("concurrency: %s: got %v\nwant %q", group, err, want)
		}
	}
}
