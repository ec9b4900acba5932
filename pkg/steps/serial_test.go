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
