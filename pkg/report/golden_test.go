package report

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/report")

// goldenInputs are the reports the golden files are rendered from: a clean
// run, a failure with retries and handlers, a fan-out with a failed and
// cancelled items, a dry run with denied, skipped and cancelled steps, and
// a run with rescued and unrescued steps, outcome handlers and a notify,
// and a run that succeeded although steps failed with continue_on_error,
// one of them a fan-out whose host printed its reason to stderr, with a
// step skipped after them.
// Their secrets are already masked as the engine masks them.
var goldenInputs = []string{"success", "failure-retries", "fanout-cancelled", "skipped-denied", "rescue-handlers", "continue-on-error"}

// goldenStart is where normalise moves every run's start.
var goldenStart = time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)

// loadGolden reads testdata/report/NAME.json, normalised.
func loadGolden(t testing.TB, name string) *Report {
	t.Helper()
	r, err := Read(filepath.Join("testdata", "report", name+".json"))
	if err != nil {
		t.Fatal(err)
	}
	normalise(r)
	return r
}

// normalise shifts every timestamp of r by the same amount so the run starts
// at goldenStart, in UTC: reports copied from real runs render the same
// golden files whenever and wherever the test runs.
func normalise(r *Report) {
	d := goldenStart.Sub(r.StartedAt)
	shift := func(t time.Time) time.Time {
		if t.IsZero() {
			return t
		}
		return t.Add(d).UTC()
	}
	shiftP := func(t *time.Time) *time.Time {
		if t == nil {
			return nil
		}
		s := shift(*t)
		return &s
	}
	r.StartedAt, r.FinishedAt = shift(r.StartedAt), shift(r.FinishedAt)
	for i := range r.Steps {
		s := &r.Steps[i]
		s.StartedAt = shiftP(s.StartedAt)
		for j := range s.AttemptLog {
			s.AttemptLog[j].StartedAt = shift(s.AttemptLog[j].StartedAt)
		}
		for j := range s.Items {
			it := &s.Items[j]
			it.StartedAt = shiftP(it.StartedAt)
			for k := range it.AttemptLog {
				it.AttemptLog[k].StartedAt = shift(it.AttemptLog[k].StartedAt)
			}
		}
	}
}

func TestGolden(t *testing.T) {
	formats := []struct{ format, ext string }{
		{"text", ".txt"},
		{"markdown", ".md"},
		{"junit", ".junit.xml"},
		{"html", ".html"},
	}
	for _, name := range goldenInputs {
		for _, f := range formats {
			t.Run(name+"/"+f.format, func(t *testing.T) {
				r := loadGolden(t, name)
				var b bytes.Buffer
				if err := Render(&b, r, f.format); err != nil {
					t.Fatal(err)
				}
				path := filepath.Join("testdata", "report", name+f.ext+".golden")
				if *update {
					if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
						t.Fatal(err)
					}
					return
				}
				want, err := os.ReadFile(path)
				if err != nil {
					t.Fatalf("%v (run go test -update to create it)", err)
				}
				if diff := cmp.Diff(string(want), b.String()); diff != "" {
					t.Errorf("%s differs (-want +got); run go test -update if the change is intended:\n%s", path, diff)
				}
			})
		}
	}
}

// TestRenderDoesNotDependOnTimeZone renders under another local zone: every
// format shows UTC.
func TestRenderDoesNotDependOnTimeZone(t *testing.T) {
	r := loadGolden(t, "failure-retries")
	var utcOut bytes.Buffer
	for _, f := range Formats {
		if err := Render(&utcOut, r, f); err != nil {
			t.Fatal(err)
		}
	}
	loc := time.FixedZone("UTC+5", 5*3600)
	shifted := loadGolden(t, "failure-retries")
	shifted.StartedAt = shifted.StartedAt.In(loc)
	shifted.FinishedAt = shifted.FinishedAt.In(loc)
	for i := range shifted.Steps {
		if s := shifted.Steps[i].StartedAt; s != nil {
			l := s.In(loc)
			shifted.Steps[i].StartedAt = &l
		}
		for j := range shifted.Steps[i].AttemptLog {
			a := &shifted.Steps[i].AttemptLog[j]
			a.StartedAt = a.StartedAt.In(loc)
		}
	}
	var zoned bytes.Buffer
	for _, f := range Formats {
		if f == "json" {
			// JSON keeps the zone it was given; that is the report's own form.
			if err := Render(&zoned, r, f); err != nil {
				t.Fatal(err)
			}
			continue
		}
		if err := Render(&zoned, shifted, f); err != nil {
			t.Fatal(err)
		}
	}
	if diff := cmp.Diff(utcOut.String(), zoned.String()); diff != "" {
		t.Errorf("output depends on the time zone (-utc +zoned):\n%s", diff)
	}
}

func TestRenderUnknownFormat(t *testing.T) {
	err := Render(&bytes.Buffer{}, loadGolden(t, "success"), "pdf")
	if err == nil || !strings.Contains(err.Error(), "text, markdown, junit, html, json") {
		t.Errorf("error = %v, want one naming the formats", err)
	}
}

func TestWriteFormat(t *testing.T) {
	r := loadGolden(t, "success")
	path := filepath.Join(t.TempDir(), "summary.md")
	if err := WriteFormat(path, r, "markdown"); err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var want bytes.Buffer
	if err := WriteMarkdown(&want, r); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want.String(), string(got)); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	if err := WriteFormat(filepath.Join(t.TempDir(), "x"), r, "nope"); err == nil {
		t.Error("WriteFormat accepted an unknown format")
	}
}

// TestMaskedInputsShown checks that the formats which list inputs show a
// masked secret as the report holds it.
func TestMaskedInputsShown(t *testing.T) {
	r := loadGolden(t, "success")
	for _, f := range []string{"junit", "html", "json"} {
		var b bytes.Buffer
		if err := Render(&b, r, f); err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(b.String(), "***") {
			t.Errorf("%s: the masked input webhook_token is not shown as ***", f)
		}
	}
}
