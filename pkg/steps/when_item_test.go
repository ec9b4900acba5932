package steps

import (
	"strings"
	"testing"
)

// TestWhenItemSaysFilter: a foreach step's when: that reads item, as
// Ansible's when: in a loop does, says to filter the list in foreach; the
// same read in name: gets no such advice, which would not fit it.
func TestWhenItemSaysFilter(t *testing.T) {
	head := hostileHead + "inputs:\n  hosts: {type: list, default: [a, b]}\nsteps:\n  - id: a\n    op: control.log\n    foreach: inputs.hosts\n    with: {message: x}\n"
	hint := `; to run only some of the items, filter the list: foreach: filter(inventory.hosts("web"), .name != "web-3")`
	for _, tc := range []struct {
		line string
		hint bool
	}{
		{`    when: item != "b"`, true},
		{`    when: index > 0`, true},
		{`    name: "x ${{ item }}"`, false},
	} {
		got := diagMsgs(t, head+tc.line+"\n", testRegistry(t))
		if len(got) != 1 || !strings.Contains(got[0], "is defined only for each item of a foreach step") {
			t.Fatalf("%s: got %q, want the item error", tc.line, got)
		}
		if strings.HasSuffix(got[0], hint) != tc.hint {
			t.Errorf("%s: got %q, hint wanted: %v", tc.line, got[0], tc.hint)
		}
	}
}
