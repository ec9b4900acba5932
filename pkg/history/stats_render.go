package history

import (
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/arsenal-run/arsenal-run/internal/termtext"
	"github.com/arsenal-run/arsenal-run/pkg/report"
)

// StatsWindow is the time window a Stats answer covers: what started
// at or after Since and before Until (now when zero).
type StatsWindow struct {
	Since time.Time `json:"since"`
	Until time.Time `json:"until,omitzero"`
}

// String names the window for people, in UTC: "from 2026-12-05 02:00:00
// UTC to now", or "... to 2026-12-05 03:00:00 UTC".
func (w StatsWindow) String() string {
	const layout = "2006-01-02 15:04:05 UTC"
	to := "now"
	if !w.Until.IsZero() {
		to = w.Until.UTC().Format(layout)
	}
	return "from " + w.Since.UTC().Format(layout) + " to " + to
}

// WriteStats writes the result of Stats over win for `arsenal-run
// stats`: a line naming the window and two tables, operations and
// playbooks, or with asJSON one object {"since": ..., "until": ...,
// "operations": [...], "playbooks": [...]} (no until: up to now).
func WriteStats(w io.Writer, win StatsWindow, ops []OpStats, playbooks []PlaybookStats, asJSON bool) error {
	if asJSON {
		if ops == nil {
			ops = []OpStats{}
		}
		if playbooks == nil {
			playbooks = []PlaybookStats{}
		}
		return writeJSON(w, struct {
			StatsWindow
			Operations []OpStats       `json:"operations"`
			Playbooks  []PlaybookStats `json:"playbooks"`
		}{win, ops, playbooks})
	}
	return WriteStatsFit(w, win, ops, playbooks, 0)
}

// nameMax is the most of an operation or playbook name a stats table
// shows; minName the least it is cut to on a narrow terminal.
const (
	nameMax = 80
	minName = 16
)

// WriteStatsFit writes the window and tables of WriteStats fitted to a terminal of
// width columns (0: no limit), so that no row wraps into the next: an
// operations table too wide shows its CPU columns in a table of their
// own, under it, then a name too long for the width is cut with "…", and
// a line still too long ends in "…" at the width, as in WriteRunsFit.
func WriteStatsFit(w io.Writer, win StatsWindow, ops []OpStats, playbooks []PlaybookStats, width int) error {
	var b strings.Builder
	head := "calls and runs started " + win.String() + "\n"
	if width > 0 {
		head = fitLines(head, width)
	}
	b.WriteString(head + "\n")
	if len(ops) == 0 {
		b.WriteString("no operation calls recorded " + win.String() + "\n")
	} else {
		names := make([]string, len(ops))
		for i, o := range ops {
			names[i] = o.Op
		}
		t := fitNames(width, names, func(n int) string { return opsTable(ops, n, true) })
		if width > 0 && widest(opsTable(ops, minName, true)) > width {
			// Too wide even with names cut: the CPU columns apart.
			t = fitNames(width, names, func(n int) string { return opsTable(ops, n, false) })
			if widest(opsTable(ops, minName, false)) > width {
				// Too wide still (a phone's terminal, a split pane),
				// where the line would be cut after ERROR RATE: the
				// percentiles in a table of their own too.
				t = fitNames(width, names, func(n int) string { return opsCountTable(ops, n) }) + "\n" +
					fitNames(width, names, func(n int) string { return opsTimeTable(ops, n) })
			}
			if cpu := fitNames(width, names, func(n int) string { return cpuTable(ops, n) }); cpu != "" {
				t += "\n" + cpu
			}
		}
		b.WriteString(t)
	}
	b.WriteString("\n")
	if len(playbooks) == 0 {
		b.WriteString("no finished runs recorded " + win.String() + "\n")
	} else {
		names := make([]string, len(playbooks))
		for i, p := range playbooks {
			names[i] = p.Playbook
		}
		t := fitNames(width, names, func(n int) string { return playbookTable(playbooks, n) })
		if width > 0 && widest(playbookTable(playbooks, minName)) > width {
			// As the operations: the percentiles apart.
			t = fitNames(width, names, func(n int) string { return playbookCountTable(playbooks, n) }) + "\n" +
				fitNames(width, names, func(n int) string { return playbookTimeTable(playbooks, n) })
		}
		b.WriteString(t)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// fitNames is table(n) with its names, names, cut to n columns: nameMax, or, when
// a line would run past width, fewer (not below minName), then lines
// still too long cut at the width.
func fitNames(width int, names []string, table func(n int) string) string {
	if width <= 0 {
		return table(nameMax)
	}
	t := table(nameFit(width, minName, names, table))
	if t == "" {
		return t
	}
	return fitLines(t, width)
}

// nameFit is how many columns of names table(n) shows within width columns:
// nameMax, or, when a line of table(nameMax) runs past width, fewer, not
// below least.
func nameFit(width, least int, names []string, table func(n int) string) int {
	over := widest(table(nameMax)) - width
	if width <= 0 || over <= 0 {
		return nameMax
	}
	longest := 0
	for _, name := range names {
		longest = max(longest, termtext.Width(oneLine(name, nameMax)))
	}
	return min(max(longest-over, least), nameMax)
}

// widest is the columns of the longest line of t.
func widest(t string) int {
	n := 0
	for _, l := range strings.Split(t, "\n") {
		n = max(n, termtext.Width(l))
	}
	return n
}

func opsTable(ops []OpStats, n int, withCPU bool) string {
	var t strings.Builder
	header := "OPERATION\tCALLS\tERRORS\tERROR RATE\tP50\tP95\tP99"
	if withCPU {
		header += "\tCPU P50\tCPU P95\tMAX RSS"
	}
	fmt.Fprintln(&t, header)
	for _, o := range ops {
		fmt.Fprintf(&t, "%s\t%d\t%d\t%s\t%s\t%s\t%s", oneLine(o.Op, n), o.Count, o.Errors, percent(o.ErrorRate), report.FormatMS(o.P50MS), report.FormatMS(o.P95MS), report.FormatMS(o.P99MS))
		if withCPU {
			fmt.Fprintf(&t, "\t%s", cpuColumns(o.CPU))
		}
		fmt.Fprintln(&t)
	}
	return termtext.Align(t.String(), 2)
}

// cpuTable is the CPU columns of the operations that ran a local
// process, under their names; empty when none did.
func cpuTable(ops []OpStats, n int) string {
	var t strings.Builder
	rows := 0
	fmt.Fprintln(&t, "OPERATION\tCPU P50\tCPU P95\tMAX RSS")
	for _, o := range ops {
		if o.CPU != nil {
			fmt.Fprintf(&t, "%s\t%s\n", oneLine(o.Op, n), cpuColumns(o.CPU))
			rows++
		}
	}
	if rows == 0 {
		return ""
	}
	return termtext.Align(t.String(), 2)
}

func playbookTable(playbooks []PlaybookStats, n int) string {
	var t strings.Builder
	// TIMED is how many of the runs the percentiles cover: not those
	// interrupted, cancelled, or failed before any step started.
	fmt.Fprintln(&t, "PLAYBOOK\tRUNS\tFAILED\tERROR RATE\tTIMED\tP50\tP95\tP99")
	for _, p := range playbooks {
		p50, p95, p99 := p.percentiles()
		fmt.Fprintf(&t, "%s\t%d\t%d\t%s\t%d\t%s\t%s\t%s\n", oneLine(p.Playbook, n), p.Count, p.Errors, percent(p.ErrorRate), p.Timed, p50, p95, p99)
	}
	return termtext.Align(t.String(), 2)
}

// opsCountTable and opsTimeTable are the columns of opsTable, without
// CPU, in two tables for a narrow terminal: the calls and errors, each
// error count with its rate, then the percentiles.
func opsCountTable(ops []OpStats, n int) string {
	var t strings.Builder
	fmt.Fprintln(&t, "OPERATION\tCALLS\tERRORS")
	for _, o := range ops {
		fmt.Fprintf(&t, "%s\t%d\t%d (%s)\n", oneLine(o.Op, n), o.Count, o.Errors, percent(o.ErrorRate))
	}
	return termtext.Align(t.String(), 2)
}

func opsTimeTable(ops []OpStats, n int) string {
	var t strings.Builder
	fmt.Fprintln(&t, "OPERATION\tP50\tP95\tP99")
	for _, o := range ops {
		fmt.Fprintf(&t, "%s\t%s\t%s\t%s\n", oneLine(o.Op, n), report.FormatMS(o.P50MS), report.FormatMS(o.P95MS), report.FormatMS(o.P99MS))
	}
	return termtext.Align(t.String(), 2)
}

// playbookCountTable and playbookTimeTable are the columns of
// playbookTable in two tables for a narrow terminal, as the operations'.
func playbookCountTable(playbooks []PlaybookStats, n int) string {
	var t strings.Builder
	fmt.Fprintln(&t, "PLAYBOOK\tRUNS\tFAILED\tTIMED")
	for _, p := range playbooks {
		fmt.Fprintf(&t, "%s\t%d\t%d (%s)\t%d\n", oneLine(p.Playbook, n), p.Count, p.Errors, percent(p.ErrorRate), p.Timed)
	}
	return termtext.Align(t.String(), 2)
}

func playbookTimeTable(playbooks []PlaybookStats, n int) string {
	var t strings.Builder
	fmt.Fprintln(&t, "PLAYBOOK\tP50\tP95\tP99")
	for _, p := range playbooks {
		p50, p95, p99 := p.percentiles()
		fmt.Fprintf(&t, "%s\t%s\t%s\t%s\n", oneLine(p.Playbook, n), p50, p95, p99)
	}
	return termtext.Align(t.String(), 2)
}

// percentiles are p's P50, P95 and P99 as a table shows them: "-" when
// no whole run was timed.
func (p PlaybookStats) percentiles() (p50, p95, p99 string) {
	if p.Timed == 0 {
		return "-", "-", "-"
	}
	return report.FormatMS(p.P50MS), report.FormatMS(p.P95MS), report.FormatMS(p.P99MS)
}

// cpuColumns are the CPU p50, p95 and peak memory of an operation, or
// dashes for one that ran no local process.
func cpuColumns(c *CPUStats) string {
	if c == nil {
		return "-\t-\t-"
	}
	return fmt.Sprintf("%s\t%s\t%.1f MiB", report.FormatMS(c.P50MS), report.FormatMS(c.P95MS), float64(c.MaxRSSKB)/1024)
}
