package auth

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestListItemShowsTheFormToWrite: an item of a policy list that is not
// a string (allow: [{op: shell.exec}], as other tools write a rule) says
// how to write it: the value of a one-key mapping as a string, or an
// example of the list's items.
func TestListItemShowsTheFormToWrite(t *testing.T) {
	src := `version: 1
roles:
  deployer:
    allow:
      - op: shell.exec
      - [file.read]
    deny:
      - 3
    inherits:
      - {role: operator}
`
	want := []string{
		`p.yaml:5:9: each item of allow must be a string, not a mapping; write it as - shell.exec`,
		`p.yaml:6:9: each item of allow must be a string, not a list; write each as a string, like - shell.exec or - "process.*"`,
		`p.yaml:8:9: each item of deny must be a string, not an integer (3); write each as a string, like - shell.exec or - "process.*"`,
		`p.yaml:10:9: each item of inherits must be a string, not a mapping; write it as - operator`,
	}
	if diff := cmp.Diff(want, loadDiags(t, "p.yaml", src)); diff != "" {
		t.Errorf("diagnostics (-want +got):\n%s", diff)
	}
}
