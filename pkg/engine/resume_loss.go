package engine

// What a report lost of a step's output: a resumed run reuses only
// outputs recorded whole.

import (
	"strings"

	"github.com/arsenal-run/arsenal-run/internal/redact"
	"github.com/arsenal-run/arsenal-run/pkg/report"
)

// lossOf says what the report of the resumed run lost of s's output, ""
// when nothing. A report's outputs are for people: secrets masked, long
// values cut, the items of a large fan-out past ReportItemsInFull without
// theirs; reusing such a copy would feed the steps after s wrong data.
// The report marks cuts to the output budget and dropped items in Cut,
// but not masking nor cuts to its own size limits, so a mask or a cut
// marker anywhere in the output counts too: a value that merely looks so
// costs a rerun, a wrong one would cost the run's correctness.
func lossOf(s *report.Step) string {
	total := 0
	for _, c := range s.ItemCounts {
		total += c
	}
	switch {
	case s.Cut != nil && s.Cut.Items > 0, len(s.Items) > ReportItemsInFull, len(s.Items) != total:
		return "the outputs of only some of its items"
	case s.Cut != nil:
		return "its output cut to the run's output budget"
	}
	vals := []any{s.Output}
	for _, it := range s.Items {
		vals = append(vals, it.Item, it.Output)
	}
	switch valuesLoss(vals...) {
	case lossMasked:
		return "its output with secrets masked"
	case lossCut:
		return "its output cut to the report's limits"
	}
	return ""
}

// The ways a value in a report may differ from the one a run had.
const (
	lossMasked = "masked"
	lossCut    = "cut"
)

// valuesLoss says whether any of vals holds a mask (lossMasked) or else a
// cut marker (lossCut) in a string anywhere inside it, "" when neither.
func valuesLoss(vals ...any) string {
	var masked, cut bool
	see := func(str string) {
		masked = masked || strings.Contains(str, redact.Mask)
		cut = cut || strings.Contains(str, cutMarker)
	}
	for _, v := range vals {
		walkStrings(v, see)
	}
	switch {
	case masked:
		return lossMasked
	case cut:
		return lossCut
	}
	return ""
}

// ValueLoss says what a report lost of a value it records, such as an
// input of the run: "" when nothing, else what the report holds instead.
// A report masks a secret's text inside other values and cuts long ones
// without saying so, so a mask or a cut marker anywhere in v counts.
func ValueLoss(v any) string {
	switch valuesLoss(v) {
	case lossMasked:
		return "it with a secret's text masked (" + redact.Mask + ")"
	case lossCut:
		return "it cut to the report's limits"
	}
	return ""
}

// cutMarker begins every marker a report leaves where it cut a value:
// report.Cap's and the output budget's alike.
const cutMarker = "[cut"

// walkStrings calls f with every string in v, map keys included.
func walkStrings(v any, f func(string)) {
	switch x := v.(type) {
	case string:
		f(x)
	case []any:
		for _, it := range x {
			walkStrings(it, f)
		}
	case map[string]any:
		for k, it := range x {
			f(k)
			walkStrings(it, f)
		}
	}
}
