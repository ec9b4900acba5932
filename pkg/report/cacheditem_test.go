package report

import (
	"bytes"
	"strings"
	"testing"
)

// TestCachedItemRowSaysSo: the summary's and the HTML report's row of a
// fan-out's item whose output came from the result cache (no tries) says
// so, as history show marks it, and the row of an item that ran does not.
func TestCachedItemRowSaysSo(t *testing.T) {
	at := goldenStart
	r := &Report{ReportVersion: FormatVersion, RunID: "r1", Playbook: Playbook{Name: "c"}, Status: StatusSucceeded, StartedAt: at,
		Steps: []Step{{ID: "each", Op: "http.request", Section: "steps", Status: StatusSucceeded, StartedAt: &at, Attempts: 1,
			Items: []Item{{Index: 0, Label: "ran-1", Status: StatusSucceeded, Attempts: 1, StartedAt: &at},
				{Index: 1, Label: "hit-1", Status: StatusSucceeded, Cached: true, CacheAgeMS: 65_000}}}}}
	const note = "cached: output from an entry 1m5s old"
	var b bytes.Buffer
	if err := Render(&b, r, "text"); err != nil {
		t.Fatal(err)
	}
	for _, l := range strings.Split(b.String(), "\n") {
		if strings.Contains(l, "hit-1") != strings.Contains(l, note) {
			t.Errorf("text row %q: want %q on the cached item's row only", l, note)
		}
	}
	b.Reset()
	if err := Render(&b, r, "html"); err != nil {
		t.Fatal(err)
	}
	for _, l := range strings.Split(b.String(), "<tr>") {
		if strings.Contains(l, "<code>hit-1</code>") != strings.Contains(l, note) {
			t.Errorf("html row %q: want %q on the cached item's row only", l, note)
		}
	}
}
