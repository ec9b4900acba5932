package engine

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestTimeValuesArePlainText: a time zone an expression gives is written
// by its name (not the {} of its JSON), a time in RFC 3339 and a duration
// as Go writes it, whole or inside a template.
func TestTimeValuesArePlainText(t *testing.T) {
	e, _ := newEngine(t)
	rep := mustRun(t, plan(t, e, header+`
steps:
  - id: a
    op: control.set
    with:
      zone: "${{ timezone('Europe/Paris') }}"
      text: "in ${{ timezone('Asia/Kolkata') }}"
      at: "${{ date('2026-03-29T01:30:00Z').In(timezone('Europe/Paris')) }}"
      took: "${{ duration('90s') }}"
`), nil)
	want := map[string]any{"zone": "Europe/Paris", "text": "in Asia/Kolkata", "at": "2026-03-29T03:30:00+02:00", "took": "1m30s"}
	if diff := cmp.Diff(want, stepOf(t, rep, "a").Output); diff != "" {
		t.Errorf("output (-want +got):\n%s", diff)
	}
}
