package report

import (
	"bytes"
	"encoding/xml"
	"io"
	"strings"
	"testing"
	"time"
)

// TestTimelineSVGStandalone: the timeline on its own is one well-formed
// SVG document with its styles inside, no script, one bar per step, the
// same bars as the HTML report's, and step text escaped.
func TestTimelineSVGStandalone(t *testing.T) {
	for _, name := range goldenInputs {
		r := loadGolden(t, name)
		var b bytes.Buffer
		if err := WriteTimelineSVG(&b, r); err != nil {
			t.Fatal(err)
		}
		svg := b.String()
		if !strings.HasPrefix(svg, `<svg xmlns="http://www.w3.org/2000/svg"`) || !strings.HasSuffix(svg, "</svg>") {
			t.Errorf("%s: not one SVG document: %.80q ... %.20q", name, svg, svg[max(0, len(svg)-20):])
		}
		wellFormed(t, name, svg)
		if !strings.Contains(svg, "<style>") || !strings.Contains(svg, "prefers-color-scheme:dark") || strings.Contains(svg, "<script") {
			t.Errorf("%s: the SVG lacks its own light and dark styles, or has a script", name)
		}
		page := renderHTML(t, r)
		if got, want := dataStep.FindAllString(svg, -1), dataStep.FindAllString(page, -1); strings.Join(got, " ") != strings.Join(want, " ") || len(got) != len(r.Steps) {
			t.Errorf("%s: bars %v, the HTML report's %v", name, got, want)
		}
	}
	start := goldenStart
	r := &Report{ReportVersion: FormatVersion, RunID: "x", Status: StatusFailed, StartedAt: start, FinishedAt: start.Add(time.Second), DurationMS: 1000,
		Steps: []Step{{ID: "evil", Name: `<script>alert(1)</script>"><img src=x onerror=alert(2)>`, Op: "x.y", Section: "steps", Status: StatusSkipped, Reason: "</text><script>alert(3)</script>"}}}
	var b bytes.Buffer
	if err := WriteTimelineSVG(&b, r); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(b.String(), "<script") || strings.Contains(b.String(), "<img") {
		t.Errorf("step text reached the SVG as markup:\n%s", b.String())
	}
	wellFormed(t, "escaped", b.String())
}

func wellFormed(t *testing.T, name, doc string) {
	t.Helper()
	d := xml.NewDecoder(strings.NewReader(doc))
	for {
		_, err := d.Token()
		if err == io.EOF {
			return
		}
		if err != nil {
			t.Errorf("%s: the SVG is not well-formed XML: %v", name, err)
			return
		}
	}
}
