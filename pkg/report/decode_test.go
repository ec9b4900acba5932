package report

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// A report read back holds the values the run recorded: whole numbers as
// exact ints, wherever a run's values are (inputs, outputs, step and item
// outputs, items, sub-runs), and the others as float64.
func TestDecodeKeepsWholeNumbersExact(t *testing.T) {
	const big = 1733356800123456789
	data := `{"report_version": "1", "run_id": "r", "status": "succeeded",
	  "inputs": {"n": 7},
	  "outputs": {"id": 1733356800123456789, "f": 2.5, "inf": "+Inf"},
	  "steps": [
	    {"id": "a", "op": "x", "status": "succeeded", "output": {"ids": [1733356800123456789]}},
	    {"id": "b", "op": "x", "status": "succeeded",
	     "items": [{"index": 0, "item": {"pid": 4194304}, "status": "succeeded", "output": {"n": 3}}]},
	    {"id": "c", "op": "playbook.run", "status": "succeeded",
	     "sub": {"run_id": "s", "status": "succeeded", "outputs": {"id": 1733356800123456789},
	       "steps": [{"id": "d", "op": "x", "status": "succeeded", "output": {"n": 1e2}}]},
	     "subs": [null, {"run_id": "t", "status": "succeeded", "outputs": {"n": 9}, "steps": []}]}
	  ]}`
	r, err := Decode([]byte(data))
	if err != nil {
		t.Fatal(err)
	}
	got := []any{
		r.Inputs["n"], r.Outputs["id"], r.Outputs["f"], r.Outputs["inf"],
		r.Steps[0].Output, r.Steps[1].Items[0].Item, r.Steps[1].Items[0].Output,
		r.Steps[2].Sub.Outputs["id"], r.Steps[2].Sub.Steps[0].Output, r.Steps[2].Subs[1].Outputs["n"],
	}
	want := []any{
		7, big, 2.5, "+Inf",
		map[string]any{"ids": []any{big}}, map[string]any{"pid": 4194304}, map[string]any{"n": 3},
		big, map[string]any{"n": 100.0}, 9,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("decoded values (-want +got):\n%s", diff)
	}
	if _, err := Decode([]byte(`{"report_version": "1"} {}`)); err == nil {
		t.Errorf("a report with data after it: %v; want it refused", err)
	}
}

// report show prints what the report holds, not a number rounded to a
// float64's precision.
func TestReadRendersWholeNumbersExact(t *testing.T) {
	path := filepath.Join(t.TempDir(), "r.json")
	if err := os.WriteFile(path, []byte(`{"report_version": "1", "run_id": "r", "status": "succeeded", "steps": [], "outputs": {"id": 9007199254740993}}`), 0o600); err != nil {
		t.Fatal(err)
	}
	r, err := Read(path)
	if err != nil {
		t.Fatal(err)
	}
	for _, format := range Formats {
		var b strings.Builder
		if err := Render(&b, r, format); err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(b.String(), "9007199254740993") {
			t.Errorf("%s: the output id is not 9007199254740993:\n%s", format, b.String())
		}
	}
}
