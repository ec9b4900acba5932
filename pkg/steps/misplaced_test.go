package steps

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestParamBesideWith checks that an operation's parameter written at a
// step's own level, where a line indented too little puts it, is named
// as one with the fix, and that other unknown keys keep their
// did-you-mean.
func TestParamBesideWith(t *testing.T) {
	src := "version: 1\nname: t\nsteps:\n- id: a\n  op: control.log\n  with:\n  message: hi\n- id: b\n  op: control.log\n  wiht: {message: hi}\n"
	_, err := Parse("p.yaml", []byte(src), testRegistry(t))
	if err == nil {
		t.Fatal("loaded; want it refused")
	}
	got := err.Error()
	for _, want := range []string{
		`p.yaml:7:3: unknown key "message" in a step (message is a parameter of control.log: indent it under with:, two spaces further than with); allowed keys: `,
		`p.yaml:10:3: unknown key "wiht" in a step (did you mean "with"?)`,
	} {
		if !strings.Contains(got, want) {
			t.Errorf("want %q in:\n%s", want, got)
		}
	}
}

// TestAnchorHolderKey checks that a top-level key kept only to hold an
// anchor, as Compose files do, is refused saying where the anchor goes.
func TestAnchorHolderKey(t *testing.T) {
	src := "version: 1\nname: t\nx-common: &common {level: warn}\nsteps:\n  - id: a\n    op: control.log\n    with:\n      <<: *common\n      message: hi\n"
	_, err := Parse("p.yaml", []byte(src), testRegistry(t))
	if err == nil {
		t.Fatal("loaded; want it refused")
	}
	want := `p.yaml:3:1: unknown key "x-common" in the playbook (a playbook has no key for values kept only for their anchor: put &common on the first place that uses the value, such as a step's with:, and alias it below); allowed keys: `
	if !strings.Contains(err.Error(), want) {
		t.Errorf("want %q in:\n%s", want, err)
	}
}

// TestInputsWrittenAsAList checks that inputs and vars written as lists,
// as GitHub Actions and Ansible write some, are refused with the mapping
// to write, once, rather than as a bare kind mismatch.
func TestInputsWrittenAsAList(t *testing.T) {
	src := "version: 1\nname: t\ninputs:\n  - name: host\n    type: string\nvars:\n  - pattern: x\nsteps:\n  - id: a\n    op: control.noop\n"
	_, err := Parse("p.yaml", []byte(src), testRegistry(t))
	if err == nil {
		t.Fatal("loaded; want it refused")
	}
	for _, want := range []string{
		"p.yaml:4:3: inputs must be a mapping keyed by name, not a list: write each item as `host: {type: string}` under inputs:, without its `- name:`",
		"p.yaml:7:3: vars must be a mapping keyed by name, not a list: write each item as `NAME: VALUE` under vars:, without its leading `- `",
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("want %q in:\n%s", want, err)
		}
	}
}

// TestFanOutKeysOfOtherTools: GitHub Actions' max-parallel and matrix,
// Argo's parallelism and memoize written on a step were "unknown key"
// with no word of what the step calls them.
func TestFanOutKeysOfOtherTools(t *testing.T) {
	for key, want := range map[string]string{
		"max-parallel: 2":               `p.yaml:6:5: unknown key "max-parallel" in a step (how many items of a step's foreach run at once is concurrency: N; how many steps of the playbook run at once is max_parallel: N at its top)`,
		"parallelism: 2":                `unknown key "parallelism" in a step (how many items of a step's foreach run at once is concurrency: N;`,
		"strategy: {matrix: {os: [a]}}": `p.yaml:6:5: unknown key "strategy" in a step (a step fans out over a matrix with foreach: {matrix: {os: [linux, darwin]}})`,
		"matrix: {os: [a]}":             `unknown key "matrix" in a step (a step fans out over a matrix with foreach:`,
		"memoize: {key: a}":             `unknown key "memoize" in a step (a step keeps its result with cache: {ttl: 10m})`,
	} {
		src := "version: 1\nname: t\nsteps:\n  - id: a\n    op: control.noop\n    " + key + "\n"
		_, err := Parse("p.yaml", []byte(src), testRegistry(t))
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: got %v\nwant %q", key, err, want)
		}
	}
}

// TestStepKeyUnderWith checks that a step's own key written under with:,
// where an operation that has no param of that name refuses it (timeout
// and retry are step keys; http.request's timeout is a param of its
// own), is named as a step key with the fix.
func TestStepKeyUnderWith(t *testing.T) {
	src := "version: 1\nname: t\nsteps:\n- id: a\n  op: control.log\n  with:\n    message: hi\n    timeout: 5s\n    continue_on_error: true\n"
	_, err := Parse("p.yaml", []byte(src), testRegistry(t))
	if err == nil {
		t.Fatal("loaded; want it refused")
	}
	got := err.Error()
	for _, want := range []string{
		`p.yaml:8:5: step a: control.log: param timeout: unknown parameter (timeout is a key of the step, not a parameter of control.log: write it beside op:, two spaces less than the parameters); control.log takes `,
		`p.yaml:9:5: step a: control.log: param continue_on_error: unknown parameter (continue_on_error is a key of the step, not a parameter of control.log: write it beside op:, two spaces less than the parameters); control.log takes `,
	} {
		if !strings.Contains(got, want) {
			t.Errorf("want %q in:\n%s", want, got)
		}
	}
}

// TestHandlerInAStep checks that on_failure and the playbook's other
// end-of-run sections, written inside a step (as a misspelling, or in
// another tool's words), are named as sections of the playbook with
// where they go; they were refused as bare unknown keys of a step,
// leaving the author to guess that on_failure exists one level up.
func TestHandlerInAStep(t *testing.T) {
	src := "version: 1\nname: t\nsteps:\n- id: a\n  op: control.noop\n  on_failure:\n    - id: b\n      op: control.noop\n" +
		"- id: c\n  op: control.noop\n  on_falure: []\n- id: d\n  op: control.noop\n  always: []\n- id: e\n  op: control.noop\n  wiht: {}\n"
	_, err := Parse("p.yaml", []byte(src), testRegistry(t))
	if err == nil {
		t.Fatal("loaded; want it refused")
	}
	const failure = " (on_failure is a section of the playbook, not of a step: write it at the top level beside steps:, as a list of steps run once the run has failed; to react to this step's own failure, give the step rescue: [steps to run when it fails] or continue_on_error: true); allowed keys: "
	for _, want := range []string{
		`p.yaml:6:3: unknown key "on_failure" in a step` + failure,
		`p.yaml:11:3: unknown key "on_falure" in a step` + failure,
		`p.yaml:14:3: unknown key "always" in a step (finally is a section of the playbook, not of a step: write it at the top level beside steps:, as a list of steps run at the end of every run); allowed keys: `,
		`p.yaml:17:3: unknown key "wiht" in a step (did you mean "with"?)`,
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("want %q in:\n%s", want, err)
		}
	}
}

// TestMisspeltTopKeyIsToldOnce checks that a misspelt steps:, name: or
// version: is reported once, as an unknown key naming the one it likely
// means; it was reported a second time as that key missing, at 1:1.
func TestMisspeltTopKeyIsToldOnce(t *testing.T) {
	src := "verison: 1\nnmae: t\nstep:\n  - id: a\n    op: control.noop\n"
	_, err := Parse("p.yaml", []byte(src), testRegistry(t))
	if err == nil {
		t.Fatal("loaded; want it refused")
	}
	var got []string
	for _, line := range strings.Split(err.Error(), "\n") {
		msg, _, _ := strings.Cut(line, ";")
		got = append(got, msg)
	}
	want := []string{
		`p.yaml:1:1: unknown key "verison" in the playbook (did you mean "version"?)`,
		`p.yaml:2:1: unknown key "nmae" in the playbook (did you mean "name"?)`,
		`p.yaml:3:1: unknown key "step" in the playbook (did you mean "steps"?)`,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("problems (-want +got):\n%s", diff)
	}
	// Without the key at all, it is still missing.
	_, err = Parse("p.yaml", []byte("version: 1\nsteps:\n  - id: a\n    op: control.noop\n"), testRegistry(t))
	if err == nil || err.Error() != "p.yaml:1:1: missing name; add `name: my-playbook`" {
		t.Errorf("no name: %v", err)
	}
}

// TestHandlerInAHandlerStep checks that on_failure written inside a step
// that cannot take rescue: (a rescue step, or one of on_failure or
// finally) is not answered with "give the step rescue:", which would be
// refused next; and that a step already in on_failure is not told to
// move the list there.
func TestHandlerInAHandlerStep(t *testing.T) {
	src := "version: 1\nname: t\nsteps:\n- id: a\n  op: control.noop\n  rescue:\n  - id: r\n    op: control.noop\n    on_failure: []\n" +
		"on_failure:\n- id: b\n  op: control.noop\n  on_failure: []\nfinally:\n- id: c\n  op: control.noop\n  on_error: []\n"
	_, err := Parse("p.yaml", []byte(src), testRegistry(t))
	if err == nil {
		t.Fatal("loaded; want it refused")
	}
	const elsewhere = " (on_failure is a section of the playbook, not of a step: write it at the top level beside steps:, as a list of steps run once the run has failed"
	const goOn = "; to go on past this step's own failure, give it continue_on_error: true; rescue: is for steps of steps: alone); allowed keys: "
	for _, want := range []string{
		`p.yaml:9:5: unknown key "on_failure" in a step` + elsewhere + goOn,
		`p.yaml:13:3: unknown key "on_failure" in a step (on_failure is a section of the playbook, not of a step, and this step is in it already` + goOn,
		`p.yaml:17:3: unknown key "on_error" in a step` + elsewhere + goOn,
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("want %q in:\n%s", want, err)
		}
	}
	if strings.Contains(err.Error(), "give the step rescue:") {
		t.Errorf("a step that cannot take rescue: is told to use it:\n%s", err)
	}
}

// TestDashWithoutSpace: `-id: a`, a list item missing the space after
// its dash, was refused as "mapping values are not allowed in this
// context" on the next line, or as steps being a mapping; both now name
// the slip where it is.
func TestDashWithoutSpace(t *testing.T) {
	const want = `-id: has no space after the dash, so YAML reads a key named "-id", not a list item: write - id:`
	for src, at := range map[string]string{
		"version: 1\nname: t\nsteps:\n  -id: a\n    op: control.noop\n": "p.yaml:4:3: YAML syntax: ",
		"version: 1\nname: t\nsteps:\n  -id: a\n":                       "p.yaml:4:3: steps must be a list of steps, not a mapping: ",
	} {
		_, err := Parse("p.yaml", []byte(src), testRegistry(t))
		if err == nil || !strings.Contains(err.Error(), at+want) {
			t.Errorf("%q: got %v\nwant %s", src, err, at+want)
		}
	}
}
