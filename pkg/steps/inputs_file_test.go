package steps

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

const inputsPlaybook = `version: 1
name: takes-inputs
inputs:
  threshold: {type: number, default: 90}
  hosts: {type: list, default: []}
  mode: {type: string, enum: [fast, slow], default: fast}
  token: {type: string, secret: true, enum: [alpha, beta], default: alpha}
steps:
  - {id: a, op: control.noop}
`

// TestInputsFile checks that every problem of an --inputs file names the
// file, line and column of the value or name at fault, and says what is
// expected; a secret input's value is never quoted.
func TestInputsFile(t *testing.T) {
	pb, err := Parse("pb.yaml", []byte(inputsPlaybook), fixtureRegistry(t))
	if err != nil {
		t.Fatal(err)
	}
	got, err := ParseInputs("in.yaml", []byte("threshold: 75\nhosts: [a, b]\nmode: slow\n"), pb)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(map[string]any{"threshold": 75.0, "hosts": []any{"a", "b"}, "mode": "slow"}, got); diff != "" {
		t.Errorf("values (-want +got):\n%s", diff)
	}

	_, err = ParseInputs("in.yaml", []byte("threshold: high\nhosts:\n  - a\nmode: medium\ntreshold: 1\ntoken: hunter2\n"), pb)
	want := strings.Join([]string{
		"in.yaml:1:12: input threshold: want a number, got a string; give a number, like 2.5",
		"in.yaml:4:7: input mode: medium is not an allowed value; give one of: fast, slow",
		`in.yaml:5:1: unknown input "treshold" (did you mean "threshold"?); takes-inputs declares threshold, hosts, mode, token`,
		"in.yaml:6:8: input token: the value does not fit this secret string input (it is not shown); give a string that is one of the values its enum lists",
	}, "\n")
	if err == nil {
		t.Fatal("bad inputs were accepted")
	}
	if diff := cmp.Diff(want, err.Error()); diff != "" {
		t.Errorf("diagnostics (-want +got):\n%s", diff)
	}

	for _, tc := range []struct{ name, src, want string }{
		{"not a mapping", "[1, 2]\n", "in.yaml:1:1: an inputs file must be a mapping (key: value), not a list"},
		{"YAML syntax", "threshold: 1\n hosts: [a]\n", "in.yaml:2:2: YAML syntax:"},
		{"duplicate key", "mode: fast\nmode: slow\n", `in.yaml:2:1: duplicate key "mode"`},
	} {
		if _, err := ParseInputs("in.yaml", []byte(tc.src), pb); err == nil || !strings.HasPrefix(err.Error(), tc.want) {
			t.Errorf("%s: got %v, want it to start with %q", tc.name, err, tc.want)
		}
	}

	// LoadInputs reads only regular files.
	dir := t.TempDir()
	if _, err := LoadInputs(dir, pb); err == nil || !strings.Contains(err.Error(), "not a regular file") {
		t.Errorf("a directory as inputs file: %v", err)
	}
	p := filepath.Join(dir, "in.json")
	if err := os.WriteFile(p, []byte("{\"threshold\": \"x\"}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadInputs(p, pb); err == nil || !strings.HasPrefix(err.Error(), p+":1:15: input threshold: want a number") {
		t.Errorf("a JSON inputs file: %v", err)
	}
	// --input threshold=2 mends it: the file's value is not checked.
	if got, err := LoadInputs(p, pb, "threshold"); err != nil || len(got) != 0 {
		t.Errorf("threshold given again: %v %v; want it left to the command line", got, err)
	}
}

// TestInputsFileAliasPointsAtItsUse checks that a value given through an
// alias that does not fit its input is reported where the alias is used,
// naming the anchor, not at the anchor, whose value suits the key there.
func TestInputsFileAliasPointsAtItsUse(t *testing.T) {
	pb, err := Parse("pb.yaml", []byte(inputsPlaybook), fixtureRegistry(t))
	if err != nil {
		t.Fatal(err)
	}
	_, err = ParseInputs("in.yaml", []byte("hosts: &h [a, b]\nmode: fast\nthreshold: *h\n"), pb)
	want := "in.yaml:3:12: input threshold: want a number, got a list (the value of *h, anchored at line 1, column 8); give a number, like 2.5"
	if err == nil || err.Error() != want {
		t.Errorf("got %v\nwant %s", err, want)
	}
}

// TestLoadInputsTooLarge checks that an inputs file over MaxFileSize is
// refused with its real size, not the count of bytes read, and no line
// (it has none to point at).
func TestLoadInputsTooLarge(t *testing.T) {
	pb, err := Parse("pb.yaml", []byte(inputsPlaybook), fixtureRegistry(t))
	if err != nil {
		t.Fatal(err)
	}
	big := filepath.Join(t.TempDir(), "big3.yaml")
	if err := os.WriteFile(big, make([]byte, 3<<20), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err = LoadInputs(big, pb)
	want := big + ": the file is 3.0 MiB (3145728 bytes), over the limit of 1 MiB; pass large values in a file the playbook reads instead"
	if err == nil || err.Error() != want {
		t.Errorf("got %v, want %q", err, want)
	}
}

// TestInputsFileWrittenWithEquals: an inputs file written as count=3, as
// on the command line, was refused as "must be a mapping … not a string"
// with no word of the fix; it now names the key and how to write it, and
// never shows a secret input's value.
func TestInputsFileWrittenWithEquals(t *testing.T) {
	pb, err := Parse("pb.yaml", []byte("version: 1\nname: t\ninputs:\n  count: {type: integer}\n  token: {type: string, secret: true}\nsteps:\n  - {id: a, op: control.noop}\n"), fixtureRegistry(t))
	if err != nil {
		t.Fatal(err)
	}
	for src, want := range map[string]string{
		"count=3\n":                "in.yaml:1:1: an inputs file must be a mapping of input names to values, not text: count= is no key; write count: 3, one input a line, or give it on the command line as --input count=3",
		"token=hunter2\ncount=3\n": "in.yaml:1:1: an inputs file must be a mapping of input names to values, not text: token= is no key; write token: followed by the value, one input a line, or give it on the command line as --input token=…",
		"count: 3\ntoken=x\n":      "in.yaml:2:1: YAML syntax: token= is not a key: YAML writes a key and its value with a colon and a space: write token: followed by the value",
	} {
		_, err := ParseInputs("in.yaml", []byte(src), pb)
		if err == nil || err.Error() != want {
			t.Errorf("%q: got %v\nwant %s", src, err, want)
		}
	}
}

// TestInputsFileDurationWithoutUnit: wait: 30 for a duration input was
// "want a duration like 30s, got an integer", where a playbook's own
// timeout: 30 says the number has no unit; both say so now.
func TestInputsFileDurationWithoutUnit(t *testing.T) {
	pb, err := Parse("pb.yaml", []byte("version: 1\nname: t\ninputs:\n  wait: {type: duration}\nsteps:\n  - {id: a, op: control.noop}\n"), fixtureRegistry(t))
	if err != nil {
		t.Fatal(err)
	}
	_, err = ParseInputs("in.yaml", []byte("wait: 30\n"), pb)
	want := "in.yaml:1:7: input wait: 30 has no unit; write it with one, like 30s or 30m"
	if err == nil || err.Error() != want {
		t.Errorf("got %v\nwant %s", err, want)
	}
}

// TestInputsFileThatIsAReportOrAPlaybook: a run's report or a playbook
// given as --inputs (to run again with last night's values, or the
// playbook's name typed twice) is one diagnostic saying what the file is
// and what takes it, not one "unknown input" a top-level key; a key of
// that kind which the playbook declares as an input, or an inventory's
// hosts, is read as an input.
func TestInputsFileThatIsAReportOrAPlaybook(t *testing.T) {
	pb, err := Parse("pb.yaml", []byte(inputsPlaybook), fixtureRegistry(t))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ src, want string }{
		{"{\n  \"report_version\": \"1\",\n  \"run_id\": \"x\",\n  \"inputs\": {\"threshold\": 75},\n  \"status\": \"failed\"\n}\n",
			"in.yaml:2:3: this is a run's report (report_version), not an inputs file: show it with 'arsenal-run report show FILE', or rerun its failed steps with 'arsenal-run run PLAYBOOK --resume FILE'"},
		{"version: 1\nname: other\nsteps:\n  - {id: a, op: control.noop}\n",
			"in.yaml:3:1: this is a playbook (steps), not an inputs file: give it as the PLAYBOOK of run, validate or schedule, or put it in serve's --playbooks DIR"},
	} {
		_, err := ParseInputs("in.yaml", []byte(tc.src), pb)
		if err == nil || err.Error() != tc.want {
			t.Errorf("got %v\nwant %s", err, tc.want)
		}
	}
	// hosts is this playbook's input, not an inventory's key.
	if got, err := ParseInputs("in.yaml", []byte("hosts: [web-1]\n"), pb); err != nil || len(got["hosts"].([]any)) != 1 {
		t.Errorf("hosts as an input: %v, %v", got, err)
	}
	// A playbook declaring an input named steps takes it from the file.
	withSteps, err := Parse("pb.yaml", []byte("version: 1\nname: s\ninputs:\n  steps: {type: list, default: []}\nsteps:\n  - {id: a, op: control.noop}\n"), fixtureRegistry(t))
	if err != nil {
		t.Fatal(err)
	}
	if got, err := ParseInputs("in.yaml", []byte("steps: [a, b]\n"), withSteps); err != nil || len(got["steps"].([]any)) != 2 {
		t.Errorf("steps as a declared input: %v, %v", got, err)
	}
}
