package report

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
)

// Formats lists the names Render accepts, in the order help text shows them.
var Formats = []string{"text", "markdown", "junit", "html", "json"}

// Render writes r in the named format: text (the end-of-run summary),
// markdown (a CI job summary), junit (JUnit XML), html (a self-contained
// page with a timeline) or json (the report itself). It renders only what r
// holds, so the secrets the engine masked stay masked.
func Render(w io.Writer, r *Report, format string) error {
	switch format {
	case "text":
		return WriteText(w, r)
	case "markdown":
		return WriteMarkdown(w, r)
	case "junit":
		return WriteJUnit(w, r)
	case "html":
		return WriteHTML(w, r)
	case "json":
		data, err := json.MarshalIndent(r, "", "  ")
		if err != nil {
			return fmt.Errorf("encode report: %w", err)
		}
		_, err = w.Write(append(data, '\n'))
		return err
	}
	return fmt.Errorf("unknown report format %q; use one of %s", format, strings.Join(Formats, ", "))
}

// WriteFormat renders r in format and stores it at path atomically, as Write
// does for the JSON report, so a CI step never reads a half-written file.
func WriteFormat(path string, r *Report, format string) error {
	var b strings.Builder
	if err := Render(&b, r, format); err != nil {
		return err
	}
	return WriteFileAtomic(path, []byte(b.String()), 0o644)
}
