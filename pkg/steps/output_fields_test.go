package steps

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// wantDiag is a diagnostic a test expects: at line:col, with text in its
// message.
type wantDiag struct {
	line, col int
	text      string
}

// checkDiags parses src and checks that it gives exactly the diagnostics
// want, in order; none when want is empty.
func checkDiags(t *testing.T, file, src string, want []wantDiag) {
	t.Helper()
	_, err := Parse(file, []byte(src), fixtureRegistry(t))
	var got Diagnostics
	if err != nil {
		ds, ok := err.(Diagnostics)
		if !ok {
			t.Fatalf("want Diagnostics, got %T: %v", err, err)
		}
		got = ds
	}
	ok := len(got) == len(want)
	for i := 0; ok && i < len(want); i++ {
		g, w := got[i], want[i]
		ok = g.Pos.Line == w.line && g.Pos.Col == w.col && strings.Contains(g.Msg, w.text)
	}
	if !ok {
		var b strings.Builder
		for _, w := range want {
			fmt.Fprintf(&b, "  %d:%d: …%s…\n", w.line, w.col, w.text)
		}
		t.Errorf("want:\n%sgot:\n%v", b.String(), got)
	}
}

// TestOwnOutputFields checks output.<field> in retry.until, retry.when and
// repeat.until against the step's own operation, as steps.<id>.output.<field>
// is checked elsewhere: a typo would otherwise keep the step retrying or
// polling until it runs out of attempts or time. In a foreach step, output
// there is one item's output, so its fields are those of the operation.
func TestOwnOutputFields(t *testing.T) {
	const head = hostileHead + "steps:\n" // the first step starts on line 4
	for _, tc := range []struct {
		name, steps string
		want        []wantDiag
	}{{
		name:  "repeat.until",
		steps: "  - id: nap\n    op: control.sleep\n    with: {duration: 1ms}\n    repeat: {until: output.slep != \"\", every: 10ms, timeout: 1s}\n",
		want:  []wantDiag{{7, 28, `the output of step nap (control.sleep) has no field "slep" (did you mean "slept"?); it has slept`}},
	}, {
		name:  "retry.until",
		steps: "  - id: log\n    op: control.log\n    with: {message: hi}\n    retry: {attempts: 2, until: output.mesage == \"hi\"}\n",
		want:  []wantDiag{{7, 40, `has no field "mesage" (did you mean "message"?)`}},
	}, {
		name:  "retry.when, as an index",
		steps: "  - id: log\n    op: control.log\n    with: {message: hi}\n    retry: {attempts: 2, when: 'output[\"mesage\"] == \"\"'}\n",
		want:  []wantDiag{{7, 39, `has no field "mesage"`}},
	}, {
		name:  "a foreach step's own output is one item's",
		steps: "  - id: nap\n    op: control.sleep\n    foreach: \"[1, 2]\"\n    with: {duration: 1ms}\n    repeat: {until: output.slep != \"\", every: 10ms, timeout: 1s}\n",
		want:  []wantDiag{{8, 28, `the output of each item of step nap (control.sleep) has no field "slep" (did you mean "slept"?)`}},
	}, {
		name:  "control.set's own output is its with",
		steps: "  - id: calc\n    op: control.set\n    with: {ready: true}\n    repeat: {until: output.redy, every: 10ms, timeout: 1s}\n",
		want:  []wantDiag{{7, 28, `has no field "redy" (did you mean "ready"?): the output of control.set is its with map, and step calc sets ready`}},
	}, {
		name: "right names and an open output are fine",
		steps: "  - id: nap\n    op: control.sleep\n    foreach: \"[1, 2]\"\n    with: {duration: 1ms}\n    repeat: {until: output.slept != \"\" && attempt > 0, every: 10ms, timeout: 1s}\n" +
			"  - id: log\n    op: control.log\n    with: {message: hi}\n    retry: {attempts: 2, when: 'error.class != \"\"', until: output.message == \"hi\"}\n" +
			"  - id: none\n    op: fake.params\n    with: {url: x}\n    retry: {attempts: 2, until: output.anything == 1}\n",
	}} {
		t.Run(tc.name, func(t *testing.T) {
			checkDiags(t, "p.yaml", head+tc.steps, tc.want)
		})
	}
}

// TestOwnSubOutputs checks output.outputs.<name> in a playbook.run step's
// own retry against the outputs its sub-playbook declares.
func TestOwnSubOutputs(t *testing.T) {
	dir := t.TempDir()
	sub := "version: 1\nname: sub\nsteps:\n  - {id: a, op: control.noop}\noutputs:\n  status: ok\n"
	if err := os.WriteFile(filepath.Join(dir, "sub.yaml"), []byte(sub), 0o600); err != nil {
		t.Fatal(err)
	}
	src := hostileHead + "steps:\n  - id: call\n    op: playbook.run\n    with: {path: sub.yaml}\n    retry: {attempts: 2, until: output.outputs.stauts == \"ok\"}\n"
	checkDiags(t, filepath.Join(dir, "main.yaml"), src, []wantDiag{{7, 48, `step call runs sub.yaml, which has no output "stauts" (did you mean "status"?)`}})
}

// TestFanOutOutputIsAList checks that steps.<id>.output.<field> of a foreach
// step is refused: its output is the list of its items' outputs, so the
// field would fail (or be null) at run time. The message shows the forms
// that work, and those forms validate.
func TestFanOutOutputIsAList(t *testing.T) {
	const fan = hostileHead + "steps:\n  - id: fan\n    op: control.sleep\n    foreach: \"[1, 2]\"\n    with: {duration: 1ms}\n  - id: use\n    op: control.log\n"
	for _, tc := range []struct {
		name, rest string
		want       []wantDiag
	}{{
		name: "in when",
		rest: "    when: steps.fan.output.slept != \"\"\n    with: {message: x}\n",
		want: []wantDiag{{10, 28, `step fan is a foreach step, so steps.fan.output is the list of its items' outputs and has no field "slept"; read one item's, like steps.fan.output[0].slept, collect them, like map(steps.fan.output, .slept), or test them all, like all(steps.fan.output, .slept != "")`}},
	}, {
		name: "a typo suggests the right field",
		rest: "    with: {message: \"${{ steps.fan.output.slep }}\"}\n",
		want: []wantDiag{{10, 43, `like steps.fan.output[0].slept, collect them, like map(steps.fan.output, .slept), or test them all, like all(steps.fan.output, .slept != "")`}},
	}, {
		name: "a field that is not a name",
		rest: "    with: {message: \"${{ steps.fan.output['a-b'] }}\"}\n",
		want: []wantDiag{{10, 42, `like steps.fan.output[0]["a-b"], collect them, like map(steps.fan.output, #["a-b"]), or test them all, like all(steps.fan.output, #["a-b"] != nil) (an item's output has no field "a-b" either; it has slept)`}},
	}, {
		name: "the forms the message shows",
		rest: "    when: 'steps.fan.output[0].slept != \"\" && all(steps.fan.output, .slept != \"\") && all(steps.fan.output, #[\"slept\"] != nil) && len(map(steps.fan.output, .slept)) == 2 && len(steps.fan.output) == 2 && steps.fan.items[0].output.slept != \"\"'\n    with: {message: x}\n",
	}} {
		t.Run(tc.name, func(t *testing.T) {
			checkDiags(t, "p.yaml", fan+tc.rest, tc.want)
		})
	}
}

// TestSetOutputFields checks steps.<id>.output.<field> of a control.set
// step against the keys of its with, which are its output: any other
// field is null at run time.
func TestSetOutputFields(t *testing.T) {
	const head = hostileHead + "steps:\n  - id: calc\n    op: control.set\n"
	for _, tc := range []struct {
		name, with, use string
		want            []wantDiag
	}{{
		name: "a literal with",
		with: "    with: {scratch_dir: /tmp/x}\n",
		use:  "${{ steps.calc.output.scratch }}",
		want: []wantDiag{{9, 44, `the output of step calc (control.set) has no field "scratch": the output of control.set is its with map, and step calc sets scratch_dir; add scratch under its with`}},
	}, {
		name: "a with of expressions",
		with: "    with: {dir: \"${{ run.id }}\", n: 1}\n",
		use:  "${{ steps.calc.output.dri }}",
		want: []wantDiag{{9, 44, `has no field "dri" (did you mean "dir"?): the output of control.set is its with map, and step calc sets dir, n`}},
	}, {
		name: "no with",
		with: "",
		use:  "${{ steps.calc.output.dir }}",
		want: []wantDiag{{8, 44, `has no field "dir": the output of control.set is its with map, and step calc sets nothing; add dir under its with`}},
	}, {
		name: "keys written and merged are fine",
		with: "    with:\n      <<: {base: 1}\n      dir: \"${{ run.id }}\"\n",
		use:  "${{ steps.calc.output.dir }} ${{ steps.calc.output.base }} ${{ steps.calc.output }}",
	}} {
		t.Run(tc.name, func(t *testing.T) {
			src := head + tc.with + "  - id: use\n    op: control.log\n    with: {message: \"" + tc.use + "\"}\n"
			checkDiags(t, "p.yaml", src, tc.want)
		})
	}
}

// TestFanOutSubOutputs checks the outputs read from one item of a foreach
// playbook.run step against those its sub-playbook declares, as for a
// step without foreach: by index, through items, and as # in the predicate
// of a built-in over the step's output or items. A wrong name is null at
// run time. A predicate nested in one has items of its own.
func TestFanOutSubOutputs(t *testing.T) {
	dir := t.TempDir()
	work := "version: 1\nname: work\ninputs:\n  n: {type: integer, default: 1}\nsteps:\n  - {id: s, op: control.set, with: {v: 1}}\noutputs:\n  val: \"${{ steps.s.output.v }}\"\n"
	if err := os.WriteFile(filepath.Join(dir, "work.yaml"), []byte(work), 0o600); err != nil {
		t.Fatal(err)
	}
	// What the step reading has after its op is on line 11.
	const head = hostileHead + "steps:\n  - {id: one, op: playbook.run, with: {path: work.yaml}}\n  - id: fan\n    op: playbook.run\n    foreach: \"[1, 2, 3]\"\n    with: {path: work.yaml, inputs: {n: \"${{ item }}\"}}\n  - id: use\n    op: control.log\n"
	const says = `step fan runs work.yaml, which has no output %q (did you mean "val"?); it declares val`
	for _, tc := range []struct {
		name, rest string
		want       []wantDiag
	}{{
		name: "by index",
		rest: "    with: {message: \"${{ steps.fan.output[0].outputs.vall }}\"}\n",
		want: []wantDiag{{11, 54, fmt.Sprintf(says, "vall")}},
	}, {
		name: "in when",
		rest: "    when: steps.fan.output[2].outputs.vall == nil\n    with: {message: x}\n",
		want: []wantDiag{{11, 39, fmt.Sprintf(says, "vall")}},
	}, {
		name: "through items",
		rest: "    with: {message: \"${{ steps.fan.items[1].output.outputs.vale }}\"}\n",
		want: []wantDiag{{11, 60, fmt.Sprintf(says, "vale")}},
	}, {
		name: "an index computed, optional chaining",
		rest: "    with: {message: \"${{ steps.fan.output[len(steps.fan.output) - 1]?.outputs.vla }}\"}\n",
		want: []wantDiag{{11, 79, fmt.Sprintf(says, "vla")}},
	}, {
		name: "map over the output",
		rest: "    with: {message: \"${{ toJSON(map(steps.fan.output, .outputs.vaal)) }}\"}\n",
		want: []wantDiag{{11, 64, fmt.Sprintf(says, "vaal")}},
	}, {
		name: "all over the items",
		rest: "    when: 'all(steps.fan.items, #.output.outputs.vl != nil)'\n    with: {message: x}\n",
		want: []wantDiag{{11, 50, `step fan runs work.yaml, which has no output "vl" (did you mean "val"?)`}},
	}, {
		name: "right names, a nested predicate, and a step without foreach",
		rest: "    when: 'steps.fan.output[0].outputs.val != nil && steps.fan.items[0].output.outputs.val != nil && all(steps.fan.output, .outputs.val != nil) && any(steps.fan.output, any([{\"outputs\": {\"zz\": 1}}], .outputs.zz == 1)) && steps.one.output.outputs.val != nil'\n    with: {message: x}\n",
	}, {
		name: "the output of a foreach step is still a list",
		rest: "    with: {message: \"${{ steps.fan.output.outputs.val }}\"}\n",
		want: []wantDiag{{11, 43, `step fan is a foreach step, so steps.fan.output is the list of its items' outputs and has no field "outputs"`}},
	}} {
		t.Run(tc.name, func(t *testing.T) {
			checkDiags(t, filepath.Join(dir, "main.yaml"), head+tc.rest, tc.want)
		})
	}
}

// TestFanOutItemOutputFields checks the fields read from one item's
// output of a foreach step, in every form the docs show, against the
// operation's output: a typo there made a when: false (null == 0) and
// skipped the step without a word.
func TestFanOutItemOutputFields(t *testing.T) {
	const fan = hostileHead + "steps:\n  - id: fan\n    op: control.sleep\n    foreach: \"[1, 2]\"\n    with: {duration: 1ms}\n  - id: one\n    op: control.sleep\n    with: {duration: 1ms}\n  - id: use\n    op: control.log\n"
	const typo = `the output of each item of step fan (control.sleep) has no field "slep" (did you mean "slept"?); it has slept`
	for _, tc := range []struct {
		name, when string
		want       []wantDiag
	}{
		{"one item by index", `steps.fan.output[0].slep != ""`, []wantDiag{{13, 32, typo}}},
		{"one item's state", `steps.fan.items[1].output.slep != ""`, []wantDiag{{13, 38, typo}}},
		{"all over the outputs", `all(steps.fan.output, .slep != "")`, []wantDiag{{13, 35, typo}}},
		{"map over the outputs, piped", `len(steps.fan.output | map(#.slep)) > 0`, []wantDiag{{13, 41, typo}}},
		{"any over the states", `any(steps.fan.items, .output.slep != "")`, []wantDiag{{13, 41, typo}}},
		{"a predicate nested in it has items of its own", `all(steps.fan.output, any([{"slep": 1}], .slep > 0))`, nil},
		{"a plain step indexed is not an item", `steps.one.output[0] == nil`, nil},
		{"the right field", `steps.fan.output[0].slept != "" && all(steps.fan.items, .output.slept != "" && .status == "succeeded")`, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			checkDiags(t, "p.yaml", fan+"    when: '"+tc.when+"'\n    with: {message: x}\n", tc.want)
		})
	}
}

// TestOutputsAsListShowsTheMapping: outputs written as a list of name:
// entries, as other runners take them, shows the mapping to write.
func TestOutputsAsListShowsTheMapping(t *testing.T) {
	got := diagMsgs(t, hostileHead+oneStep+"outputs:\n  - name: r\n    value: x\n", testRegistry(t))
	want := `outputs must be a mapping of each output's name to its value, not a list; write outputs: {r: "${{ steps.<id>.output.<field> }}"}`
	if len(got) != 1 || !strings.HasSuffix(got[0], want) {
		t.Errorf("got %q, want %q", got, want)
	}
}
