package engine

import (
	"strings"
	"testing"
)

// TestSubPlaybookMissingInputSaysWhereToGiveIt: a sub-playbook chosen at
// run time whose required input its playbook.run step does not give says
// to give it under that step's inputs:, not with run's --input, which
// would give it to the caller's playbook.
func TestSubPlaybookMissingInputSaysWhereToGiveIt(t *testing.T) {
	p := loadWithSubPlaybooks(t, "parent.yaml", map[string]string{
		"child.yaml": `version: 1
name: child
inputs:
  target: {type: string, required: true}
steps:
  - {id: say, op: control.log, with: {message: "${{ inputs.target }}"}}
`,
		"parent.yaml": `version: 1
name: parent
inputs:
  which: {type: string, default: child}
steps:
  - {id: call, op: playbook.run, with: {path: "${{ inputs.which }}.yaml"}}
`,
	})
	rep := mustRun(t, p, nil)
	s := stepOf(t, rep, "call")
	if s.Error == nil {
		t.Fatalf("call: no error:\n%s", dump(rep))
	}
	if msg := s.Error.Message; !strings.Contains(msg, "target is required; give it under the inputs: of the playbook.run step, as target: VALUE") || strings.Contains(msg, "--input") {
		t.Errorf("call: error %q; want it to say to give target under the step's inputs:, not --input", msg)
	}
}
