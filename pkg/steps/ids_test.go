package steps

import (
	"strings"
	"testing"
)

// TestDuplicateIDsInEverySection checks that a step id used twice is
// refused wherever the second use is (on_success, on_cancel, a rescue
// step as well as on_failure and finally), at the second id, naming where
// the first is and every section the ids are unique across.
func TestDuplicateIDsInEverySection(t *testing.T) {
	reg := fixtureRegistry(t)
	const first = hostileHead + "steps:\n  - id: a\n    op: control.noop\n" // a at 4:5
	for _, tc := range []struct {
		name, yaml, want string
	}{
		{"on_success", first + "on_success:\n  - id: a\n    op: control.noop\n",
			`ids.yaml:7:9: step id "a" is already used at line 4, column 5 (in steps)`},
		{"on_cancel", first + "on_cancel:\n  - id: a\n    op: control.noop\n",
			`ids.yaml:7:9: step id "a" is already used at line 4, column 5 (in steps)`},
		{"on_failure", first + "on_failure:\n  - id: a\n    op: control.noop\n",
			`ids.yaml:7:9: step id "a" is already used at line 4, column 5 (in steps)`},
		{"finally after on_success", first + "on_success:\n  - id: b\n    op: control.noop\nfinally:\n  - id: b\n    op: control.noop\n",
			`ids.yaml:10:9: step id "b" is already used at line 7, column 5 (in on_success)`},
		{"rescue", first + "    rescue:\n      - id: a\n        op: control.noop\n",
			`ids.yaml:7:13: step id "a" is already used at line 4, column 5 (in steps)`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse("ids.yaml", []byte(tc.yaml), reg)
			if err == nil {
				t.Fatal("the duplicate id was accepted")
			}
			msg := err.Error()
			if !strings.Contains(msg, tc.want) {
				t.Errorf("error lacks %q:\n%s", tc.want, msg)
			}
			if !strings.Contains(msg, "ids are unique across steps, rescue, on_success, on_failure, on_cancel, finally and notify: rename one of them") {
				t.Errorf("error does not name every section:\n%s", msg)
			}
		})
	}
}

// TestNamePos checks that the position of the name: key is recorded.
func TestNamePos(t *testing.T) {
	pb, err := Parse("n.yaml", []byte("version: 1\n\nname: named\nsteps:\n  - id: a\n    op: control.noop\n"), fixtureRegistry(t))
	if err != nil {
		t.Fatal(err)
	}
	if want := (Pos{Line: 3, Col: 1}); pb.NamePos != want {
		t.Errorf("NamePos = %v, want %v", pb.NamePos, want)
	}
}
