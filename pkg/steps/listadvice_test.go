package steps

import (
	"strings"
	"testing"
)

// TestForeachOverAMapSaysHow: a foreach, or a computed matrix axis, given
// a map is refused with the expression to write instead: the map's keys
// in order, each value read by its key, or toPairs; an include given a
// map is told to put it in a list.
func TestForeachOverAMapSaysHow(t *testing.T) {
	reg := fixtureRegistry(t)
	head := `version: 1
name: p
inputs:
  m: {type: map, default: {a: 1}}
steps:
  - id: a
    op: fake.shell
    with: {command: [echo]}
`
	for step, want := range map[string]string{
		`    foreach: inputs.m`: "p.yaml:9:14: foreach must give a list, but `inputs.m` gives a map; give the map's keys, sort(keys(inputs.m)), and read each value as inputs.m[item], or its [key, value] pairs, toPairs(inputs.m), which come in no set order",
		"    foreach:\n      matrix:\n        os: \"${{ inputs.m }}\"":                       "matrix axis os must give a list, but `inputs.m` gives a map; give the map's keys, sort(keys(inputs.m)), and read each value as inputs.m[item.os]",
		"    foreach:\n      matrix:\n        os: [a]\n        include: \"${{ inputs.m }}\"": "matrix.include must give a list, but `inputs.m` gives a map; matrix.include is a list of mappings, like [{os: linux, ver: 2}]; put one mapping in a list of one, [inputs.m]",
	} {
		_, err := Parse("p.yaml", []byte(head+step+"\n"), reg)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: %v, want %q", step, err, want)
		}
	}
	if _, err := Parse("p.yaml", []byte(head+"    foreach: sort(keys(inputs.m))\n"), reg); err != nil {
		t.Errorf("the advised foreach: %v", err)
	}
}
