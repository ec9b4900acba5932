package steps

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestSerialDecoded reads serial: and max_fail_percentage: as written,
// with the defaults they bring: all items of a batch at once when no
// concurrency is given, and fail_fast off under max_fail_percentage.
func TestSerialDecoded(t *testing.T) {
	src := `version: 1
name: x
inputs:
  hosts: {type: list, default: [a, b, c]}
steps:
  - {id: two, op: control.log, foreach: inputs.hosts, serial: 2, with: {message: x}}
  - {id: share, op: control.log, foreach: inputs.hosts, serial: 25%, max_fail_percentage: 30, concurrency: 1, with: {message: x}}
  - {id: plain, op: control.log, foreach: inputs.hosts, with: {message: x}}
`
	pb, err := Parse("x.yaml", []byte(src), testRegistry(t))
	if err != nil {
		t.Fatal(err)
	}
	type got struct {
		Serial   *Serial
		FailFast bool
	}
	var out []got
	for _, st := range pb.Steps {
		out = append(out, got{st.Serial, st.FailFast})
	}
	want := []got{
		{&Serial{Size: 2, MaxFailPercent: -1, Parallel: true}, true},
		{&Serial{Percent: 25, MaxFailPercent: 30}, false},
		{nil, true},
	}
	if diff := cmp.Diff(want, out); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

// TestBatchSize rounds a share down, as Ansible does, but never below one
// item.
func TestBatchSize(t *testing.T) {
	for _, tc := range []struct {
		s    Serial
		n    int
		want int
	}{
		{Serial{Size: 2}, 5, 2},
		{Serial{Size: 10}, 3, 10},
		{Serial{Percent: 25}, 10, 2},
		{Serial{Percent: 25}, 3, 1},
		{Serial{Percent: 50}, 5, 2},
		{Serial{Percent: 100}, 7, 7},
		{Serial{Percent: 30}, 0, 1},
	} {
		if got := tc.s.BatchSize(tc.n); got != tc.want {
			t.Errorf("serial %s of %d items: batch of %d, want %d", tc.s.String(), tc.n, got, tc.want)
		}
	}
}

// TestSerialFormsExplained: a serial: of a form the loader does not take
// says which forms it does, the share "N%" included, and Ansible's list of
// batch sizes or a computed size says how to get the same batches.
func TestSerialFormsExplained(t *testing.T) {
	step := "steps:\n  - id: a\n    op: control.log\n    foreach: inputs.hosts\n    with: {message: x}\n    serial: "
	head := hostileHead + "inputs:\n  hosts: {type: list, default: [a, b]}\n  n: {type: integer, default: 2}\n"
	for _, tc := range []struct{ serial, want string }{
		{`[1, 5, "20%"]`, `11:13: serial takes one batch size, not a list (Ansible's serial: [1, 5, "20%"]); for batches that grow, write a step per stage over its slice of the items, each needing the one before: foreach: inventory.hosts("web")[:1] with serial: 1, then inventory.hosts("web")[1:] with serial: 5`},
		{`1.5`, `11:13: serial must be the items per batch (serial: 2) or a share of them, "N%" with N from 1 to 100 (serial: 25%), not a number (1.5)`},
		{`true`, `11:13: serial must be the items per batch (serial: 2) or a share of them, "N%" with N from 1 to 100 (serial: 25%), not a bool (true)`},
		{`"${{ inputs.n }}"`, `11:13: serial is read when the playbook loads and cannot be computed with ${{ }}; write the items per batch (serial: 2) or a share of them (serial: 25%)`},
		{`0`, `11:13: serial is 0; it must be between 1 and 1000000`},
		{`150%`, `11:13: serial "150%": write the items per batch (serial: 2) or a share of them, "N%" with N from 1 to 100 (serial: 25%)`},
	} {
		got := diagMsgs(t, head+step+tc.serial+"\n", testRegistry(t))
		if len(got) != 1 || got[0] != tc.want {
			t.Errorf("serial: %s\ngot  %q\nwant %q", tc.serial, got, tc.want)
		}
	}
}
