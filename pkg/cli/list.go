package cli

import (
	"fmt"
	"io"
	"strings"

	"github.com/arsenal-run/arsenal-run/internal/short"
	"github.com/arsenal-run/arsenal-run/pkg/steps"
)

// writeStepList prints a playbook's steps for `run --list`: each with its
// section, op, needs and what decides whether and how often it runs.
func writeStepList(w io.Writer, pb *steps.Playbook, p palette) {
	all := pb.AllSteps()
	fmt.Fprintf(w, "%s: %s (%s)\n", pb.Name, plural(len(all), "step", "steps"), pb.File)
	t := &table{header: []string{"SECTION", "STEP", "OP", "NEEDS", "CONDITIONS"}, indent: "  "}
	for _, s := range all {
		sec := string(s.Section)
		if s.RescueOf != nil {
			sec = "rescue of " + s.RescueOf.ID
		}
		t.add(sec, s.ID, s.Op, needsCell(s.Needs, listNeedsWidth), clipLine(oneLine(strings.Join(conditions(s), "; ")), 100))
	}
	t.write(w, p)
}

// listNeedsWidth is about the most characters of a step's needs on its
// row, as its conditions are cut at 100: the ids past it are
// counted, not listed, so that a step that gathers hundreds of others (a
// fan-in) neither fills screens nor widens the column, and with it every
// row of a list written to a file, by its whole length.
const listNeedsWidth = 100

// needsCell is the needs of a step joined by ", ", "-" when it has none;
// the ids that would take the text past about width characters are left
// out, and counted in a last "… N more".
func needsCell(needs []string, width int) string {
	if len(needs) == 0 {
		return "-"
	}
	if all := strings.Join(needs, ", "); len(all) <= width {
		return all
	}
	n := len(needs[0])
	k := 1
	for ; k < len(needs); k++ {
		// The count of those left after needs[k], with "… " as 2.
		count := len(fmt.Sprintf(", … %d more", len(needs)-k-1)) - len("…") + 1
		if n+2+len(needs[k])+count > width {
			break
		}
		n += 2 + len(needs[k])
	}
	return strings.Join(needs[:k], ", ") + fmt.Sprintf(", … %d more", len(needs)-k)
}

// conditions says what decides whether a step runs, for how many items and
// how often.
func conditions(s *steps.Step) []string {
	var out []string
	if s.When != nil {
		out = append(out, "when: "+s.When.Source)
	}
	if s.Foreach != nil {
		out = append(out, "foreach: "+s.Foreach.Source)
	}
	if m := s.Matrix; m != nil {
		names := make([]string, len(m.Axes))
		for i, a := range m.Axes {
			names[i] = a.Name
		}
		out = append(out, "matrix: "+strings.Join(names, " × "))
	}
	out = append(out, fanSettings(s)...)
	if s.Confirm != nil {
		out = append(out, "confirm")
	}
	if s.Timeout > 0 {
		out = append(out, fmt.Sprintf("timeout: %s", short.Duration(s.Timeout)))
	}
	if r := s.Retry; r.Attempts > 1 || r.AttemptsExpr != nil {
		a := fmt.Sprint(r.Attempts)
		if r.AttemptsExpr != nil {
			a = r.AttemptsExpr.Source
		}
		out = append(out, "retry: "+a+" attempts")
	}
	if s.Retry.When != nil {
		out = append(out, "retry when: "+s.Retry.When.Source)
	}
	if s.Retry.Until != nil {
		out = append(out, "retry until: "+s.Retry.Until.Source)
	}
	if rp := s.Repeat; rp != nil {
		out = append(out, fmt.Sprintf("repeat until: %s (for %s)", rp.Until.Source, short.Duration(rp.Timeout)))
	}
	if c := s.Cache; c != nil {
		// A hit does not run the operation: the step takes an output
		// of up to ttl ago.
		out = append(out, fmt.Sprintf("cache: %s", short.Duration(c.TTL)))
	}
	if s.ContinueOnError {
		out = append(out, "continue_on_error")
	}
	if len(s.NotifyOn) > 0 && s.Section == steps.SectionNotify {
		out = append(out, "on: "+strings.Join(s.NotifyOn, ", "))
	}
	return out
}

// fanSettings says how a fan-out runs its items: how many at once, in
// which batches, and whether a failed item stops the rest.
func fanSettings(s *steps.Step) []string {
	if !s.FanOut() {
		return nil
	}
	var out []string
	if s.Concurrency > 1 {
		out = append(out, fmt.Sprintf("concurrency: %d", s.Concurrency))
	}
	if b := s.Serial; b != nil {
		size := fmt.Sprint(b.Size)
		if b.Percent > 0 {
			size = fmt.Sprintf("%d%%", b.Percent)
		}
		out = append(out, "serial: "+size)
		if b.MaxFailPercent >= 0 {
			out = append(out, fmt.Sprintf("max_fail_percentage: %d", b.MaxFailPercent))
		}
	}
	if !s.FailFast {
		out = append(out, "fail_fast: false")
	}
	return out
}

// oneLine joins the lines of a condition written over several (a YAML
// block) with a space, each without the indentation around it, so that
// it stays on its step's row.
func oneLine(s string) string {
	if !strings.ContainsAny(s, "\r\n") {
		return s
	}
	var parts []string
	for l := range strings.FieldsFuncSeq(s, func(r rune) bool { return r == '\n' || r == '\r' }) {
		if l = strings.TrimSpace(l); l != "" {
			parts = append(parts, l)
		}
	}
	return strings.Join(parts, " ")
}

// clipLine cuts s to n characters.
func clipLine(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}
