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
