package steps

import (
	"strings"
	"testing"
)

// TestDanglingDotNamesWhatFollows: an expression cut short after a dot,
// like ${{ inputs. }}, names what may follow it (the playbook's inputs,
// vars or steps), pointing just past the dot, where the name is missing.
func TestDanglingDotNamesWhatFollows(t *testing.T) {
	head := hostileHead + "inputs:\n  host: {type: string, default: a}\n  port: {type: integer, default: 1}\nvars:\n  who: x\nsteps:\n  - id: ping\n    op: control.log\n"
	for _, tc := range []struct {
		line, want string
	}{
		{`    with: {message: "${{ inputs. }}"}`, "11:33: a name must follow inputs.: the playbook's inputs are host, port"},
		{`    with: {message: "${{ vars.}}"}`, "11:31: a name must follow vars.: the playbook's vars are who"},
		{`    with: {message: "${{ steps. }}"}`, "11:32: a name must follow steps.: the playbook's steps are ping"},
		{`    with: {message: "${{ inputs.host + run. }}"}`, "11:44: a name must follow run.: run has failed_steps, id, playbook, started_at, status, url"},
	} {
		_, err := Parse("t.yaml", []byte(head+tc.line+"\n"), testRegistry(t))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: got %v, want %q", tc.line, err, tc.want)
		}
	}
}
