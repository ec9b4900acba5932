package report

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
	"time"
)

// Helpers shared by the JUnit, Markdown and HTML renderers. They all read
// the report as it is: the engine masked secrets before building it, and no
// renderer looks anywhere else.

// ansiEscape matches terminal escape sequences (colours, cursor moves) that
// commands write to their output.
var ansiEscape = regexp.MustCompile(`\x1b(?:\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(?:\x07|\x1b\\)|[@-Z\\-_])`)

// plainText drops terminal escape sequences and control characters other
// than newline and tab, which XML cannot carry and which garble HTML and
// Markdown.
func plainText(s string) string {
	if !strings.ContainsFunc(s, isControl) {
		return s
	}
	s = ansiEscape.ReplaceAllString(s, "")
	s = strings.ReplaceAll(s, "\r\n", "\n")
	return strings.Map(func(r rune) rune {
		if isControl(r) {
			return -1
		}
		return r
	}, s)
}

func isControl(r rune) bool {
	return (r < 0x20 && r != '\n' && r != '\t') || r == 0x7f || (r >= 0x80 && r < 0xa0) || r == 0xfffe || r == 0xffff
}

// excerpt is plainText cut to limit bytes, keeping head and tail.
func excerpt(s string, limit int) string { return CapString(plainText(s), limit) }

// stepLabel names a step the way people see it: the id, prefixed with its
// section for the handler sections, and with the step it rescues for a
// rescue step.
func stepLabel(s *Step) string {
	if s.RescueOf != "" {
		return s.RescueOf + "/rescue/" + s.ID
	}
	if s.Section != "" && s.Section != "steps" {
		return s.Section + "/" + s.ID
	}
	return s.ID
}

// rescuedNote adds to a step's note that its failure was rescued.
func rescuedNote(s *Step, note string) string {
	if !s.Rescued {
		return note
	}
	return "rescued" + trimNote(note)
}

// itemLabel names one fan-out item: the step label and the item's label
// (a host's name), else its index.
func itemLabel(s *Step, it *Item) string {
	if it.Label != "" {
		return fmt.Sprintf("%s[%s]", stepLabel(s), it.Label)
	}
	return fmt.Sprintf("%s[%d]", stepLabel(s), it.Index)
}

// itemName shows an item in a list of items: its label, else its value.
func itemName(it *Item) string {
	if it.Label != "" {
		return it.Label
	}
	return inline(it.Item)
}

// outputText renders an output for people. A map shows one key per line, in
// key order, with multi-line strings (a command's stdout and stderr) as
// indented blocks and nested data as JSON, on one line when short; anything
// else is indented JSON.
func outputText(v any) string {
	if v == nil {
		return ""
	}
	m, ok := v.(map[string]any)
	if !ok {
		return jsonText(v, "") + "\n"
	}
	var b strings.Builder
	for _, k := range sortedKeys(m) {
		if x, ok := m[k].(string); ok && strings.Contains(x, "\n") {
			b.WriteString(k + ":\n")
			for _, line := range strings.Split(strings.TrimRight(x, "\n"), "\n") {
				b.WriteString("  " + line + "\n")
			}
			continue
		}
		if one := inlineJSON(m[k]); len(one) <= 100 {
			b.WriteString(k + ": " + one + "\n")
			continue
		}
		b.WriteString(k + ": " + jsonText(m[k], "  ") + "\n")
	}
	return b.String()
}

// jsonText is v as indented JSON, each line after the first prefixed, or
// its Go form when it is not JSON data. HTML characters stay as they are;
// each format escapes its own output.
func jsonText(v any, prefix string) string {
	var b strings.Builder
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.SetIndent(prefix, "  ")
	if err := enc.Encode(v); err != nil {
		return fmt.Sprint(v)
	}
	return strings.TrimSuffix(b.String(), "\n")
}

// inlineJSON is v as JSON on one line.
func inlineJSON(v any) string {
	var b strings.Builder
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return fmt.Sprint(v)
	}
	return strings.TrimSuffix(b.String(), "\n")
}

// inline is v on one line, for tables.
func inline(v any) string {
	if s, ok := v.(string); ok {
		return s
	}
	return inlineJSON(v)
}

// offset is when t was, from the run's start, as "+1.2s".
func offset(r *Report, t time.Time) string {
	return "+" + FormatMS(max(t.Sub(r.StartedAt).Milliseconds(), 0))
}

// stepTime is a step's duration, or a dash for a step that never started.
func stepTime(s *Step) string { return durText(s.StartedAt, s.DurationMS) }

// durText is a duration, or a dash for something that never started.
func durText(started *time.Time, ms int64) string {
	if started == nil && ms == 0 {
		return "–"
	}
	return FormatMS(ms)
}

// utc formats t for people, in UTC so that output does not depend on the
// machine that renders it.
func utc(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format("2006-01-02 15:04:05 UTC")
}

// statusCounts counts steps by status, in a fixed order.
func statusCounts(steps []Step) string {
	counts := map[Status]int{}
	for _, s := range steps {
		counts[s.Status]++
	}
	parts := []string{}
	for _, st := range []Status{StatusSucceeded, StatusFailed, StatusDenied, StatusCancelled, StatusSkipped} {
		if counts[st] > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", counts[st], st))
		}
	}
	noun := "steps"
	if len(steps) == 1 {
		noun = "step"
	}
	if len(parts) == 0 {
		return fmt.Sprintf("%d %s", len(steps), noun)
	}
	return fmt.Sprintf("%d %s: %s", len(steps), noun, strings.Join(parts, ", "))
}

// failedLike reports whether a status is one a reader must look at.
func failedLike(s Status) bool { return s == StatusFailed || s == StatusDenied }

// attemptStatus is the outcome of one attempt: succeeded without an error,
// otherwise what its error class means.
func attemptStatus(a *Attempt) Status {
	if a.Error == nil {
		return StatusSucceeded
	}
	return StatusOf(a.Error.Class)
}

// errText is "class: message", or "" for no error.
func errText(e *Error) string {
	if e == nil {
		return ""
	}
	return e.Class + ": " + e.Message
}
