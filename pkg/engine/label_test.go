package engine

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/arsenal-run/arsenal-run/pkg/report"
)

// TestMatrixItemLabels names each matrix combination by its values, as
// GitHub Actions names a matrix job: the axes in order, then the keys
// include added, by name; a secret among them masked. The step's error and
// the item events name the items so; "item 2" sent a reader to count
// combinations.
func TestMatrixItemLabels(t *testing.T) {
	e, _ := newEngine(t)
	p := plan(t, e, header+`
inputs:
  tok: {type: string, secret: true}
steps:
  - id: test
    op: test.busy
    foreach:
      matrix:
        os: [linux, darwin]
        go: ["1.25", 1.26]
        exclude:
          - {os: darwin, go: "1.25"}
        include:
          - {os: linux, race: true, cfg: {a: [1]}}
          - {os: windows, go: "${{ inputs.tok }}", empty: "", none: null}
    concurrency: 1
    fail_fast: false
    with: {fail: "${{ item.os != 'linux' }}"}
`)
	obs := &itemEvents{}
	rep := mustRun(t, p, map[string]any{"tok": "s3cret-go"}, WithRunObserver(obs))
	var labels []string
	for _, it := range stepOf(t, rep, "test").Items {
		labels = append(labels, it.Label)
	}
	want := []string{`linux, 1.25, {"a":[1]}, true`, `linux, 1.26, {"a":[1]}, true`, "darwin, 1.26", `windows, ***, "", null`}
	if diff := cmp.Diff(want, labels); diff != "" {
		t.Errorf("item labels (-want +got):\n%s", diff)
	}
	test := stepOf(t, rep, "test")
	wantErr := `2 of 4 items failed: item darwin, 1.26 (#2): busy failure; also failed: item windows, ***, "", null (#3)`
	if test.Status != report.StatusFailed || test.Error == nil || test.Error.Message != wantErr {
		t.Errorf("the step: %s %+v; want failed with %q", test.Status, test.Error, wantErr)
	}
	seen := map[string]int{}
	for _, ev := range obs.evs {
		if ev.Step == "test" {
			seen[ev.Label]++
		}
	}
	if diff := cmp.Diff(map[string]int{want[0]: 2, want[1]: 2, want[2]: 2, want[3]: 2}, seen); diff != "" {
		t.Errorf("item events by label (-want +got):\n%s", diff)
	}
}

// TestMatrixItemLabelCut: a matrix label is masked, then cut to maxLabel
// bytes, as any label: cut first, a secret across the cut would show its
// first part.
func TestMatrixItemLabelCut(t *testing.T) {
	e, _ := newEngine(t)
	p := plan(t, e, header+`
inputs:
  tok: {type: string, secret: true}
steps:
  - id: fan
    op: control.noop
    foreach:
      matrix:
        a: ["`+strings.Repeat("x", 190)+`", "`+strings.Repeat("y", 300)+`"]
        b: ["${{ inputs.tok }}"]
`)
	rep := mustRun(t, p, map[string]any{"tok": "SuperSecretToken123"})
	var got []string
	for _, it := range stepOf(t, rep, "fan").Items {
		got = append(got, it.Label)
	}
	want := []string{strings.Repeat("x", 190) + ", ***", strings.Repeat("y", 200)}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("labels (-want +got):\n%s", diff)
	}
}

// TestItemLabelControlCharacters: no label holds a line break or another
// control character, which would break the rows, log lines and errors it
// is shown in: a matrix value with one is quoted, escaped, as Go writes a
// string; a name with one leaves the item
// without a label, as a string item with one.
func TestItemLabelControlCharacters(t *testing.T) {
	e, _ := newEngine(t)
	p := plan(t, e, header+`
steps:
  - id: m
    op: control.noop
    foreach:
      matrix:
        cfg: ["a\nb", "x\u001b[31mred", plain]
        os: [linux]
  - id: h
    op: control.noop
    foreach: [{name: "n1\nn2"}, {name: ok}]
`)
	rep := mustRun(t, p, nil)
	var got []string
	for _, id := range []string{"m", "h"} {
		for _, it := range stepOf(t, rep, id).Items {
			got = append(got, it.Label)
		}
	}
	want := []string{`"a\nb", linux`, `"x\x1b[31mred", linux`, "plain, linux", "", "ok"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("labels (-want +got):\n%s", diff)
	}
}

// TestItemLabelsShared: a label two items would share names neither, so
// that no two rows, JUnit cases or messages read alike; the items are
// named by their indexes, as items without labels are.
func TestItemLabelsShared(t *testing.T) {
	e, _ := newEngine(t)
	p := plan(t, e, header+`
steps:
  - id: s
    op: control.noop
    foreach: [ok, web-1, ok, web-2]
  - id: m
    op: control.noop
    foreach: [{name: db}, {name: db}, {name: api}]
`)
	rep := mustRun(t, p, nil)
	var got []string
	for _, id := range []string{"s", "m"} {
		for _, it := range stepOf(t, rep, id).Items {
			got = append(got, it.Label)
		}
	}
	want := []string{"", "web-1", "", "web-2", "", "", "api"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("labels (-want +got):\n%s", diff)
	}
}
