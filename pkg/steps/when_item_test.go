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

// TestItemOutsideForeachSaysWhatToWrite: item read in a step without
// foreach says to add foreach: to that step or to read an input or var;
// read outside any step (a var, an output) it says to read an input or
// var, since no foreach can give it there.
func TestItemOutsideForeachSaysWhatToWrite(t *testing.T) {
	step := "inputs:\n  host: {type: string, default: a}\nsteps:\n  - id: ping\n    op: control.log\n    with: {message: \"${{ item }}\"}\n"
	got := diagMsgs(t, hostileHead+step, testRegistry(t))
	want := "; to run step ping once for each item, add foreach: to it with the list (foreach: [web-1, web-2] or foreach: ${{ inputs.hosts }}); otherwise read an input or a var (inputs.host)"
	if len(got) != 1 || !strings.HasSuffix(got[0], want) {
		t.Errorf("got %q, want it to end with %q", got, want)
	}
	vars := "vars:\n  who: ${{ item }}\n" + oneStep
	got = diagMsgs(t, hostileHead+vars, testRegistry(t))
	want = "; item is never defined outside a step: read an input or a var here"
	if len(got) != 1 || !strings.HasSuffix(got[0], want) {
		t.Errorf("got %q, want it to end with %q", got, want)
	}
}
