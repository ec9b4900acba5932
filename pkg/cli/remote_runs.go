package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/arsenal-run/arsenal-run/internal/termtext"
	"github.com/arsenal-run/arsenal-run/pkg/history"
	"github.com/arsenal-run/arsenal-run/pkg/report"
)

func (r *remote) runs() int {
	q := url.Values{}
	if r.o.playbook != "" {
		q.Set("playbook", r.o.playbook)
	}
	if len(r.o.status) > 0 {
		q.Set("status", r.o.status.String())
	}
	if r.o.since.text != "" {
		// The server reads the same forms, how long ago by its clock,
		// which the times it lists are of.
		q.Set("since", r.o.since.text)
	}
	if r.o.limit > 0 {
		q.Set("limit", strconv.Itoa(r.o.limit))
	}
	path := "/api/v1/runs"
	if len(q) > 0 {
		path += "?" + q.Encode()
	}
	var out struct {
		Runs []struct {
			ID, Playbook, Status, Trigger string
			StartedAt                     time.Time  `json:"started_at"`
			FinishedAt                    *time.Time `json:"finished_at"`
			DurationMS                    int64      `json:"duration_ms"`
			Waiting                       *waitPlace `json:"waiting"`
			DryRun                        bool       `json:"dry_run"`
			Error                         *report.Error
			ResumedFrom                   string `json:"resumed_from"`
		} `json:"runs"`
		// Hint, on an empty answer, is the server's word on why no
		// run matches (a playbook it does not serve).
		Hint string `json:"hint"`
	}
	if _, err := r.call(context.Background(), "GET", path, nil, &out); err != nil {
		code := r.fail(err)
		if ae, ok := errors.AsType[*apiError](err); ok && ae.Field == "status" && len(r.o.status) > 1 && strings.Contains(ae.Msg, "status=\""+r.o.status.String()+"\" is") {
			// A server before several statuses took the list for one.
			r.e.errorf("this server lists one status at a time: run 'remote runs' once for each (--status %s), or 'history --status %s' where the history is", r.o.status[0], r.o.status.String())
		}
		return code
	}
	if len(out.Runs) == 0 {
		// A header alone reads as an answer cut short; as 'history'
		// says it.
		if asked := runsAsked(r.o); asked != "" && out.Hint != "" {
			fmt.Fprintf(r.e.stdout, "no runs match%s; %s\n", asked, termtext.Line(out.Hint))
		} else if asked != "" {
			fmt.Fprintf(r.e.stdout, "no runs match%s%s\n", asked, r.otherPlaybooks())
		} else {
			fmt.Fprintln(r.e.stdout, "no runs recorded")
		}
		return ExitOK
	}
	rows := make([][]string, len(out.Runs))
	for i, run := range out.Runs {
		// As in 'history': the status has its mark (✓, ✗), a run
		// still queued or going on has no
		// duration yet, and an interrupted one ran at least until its
		// last recorded step ended.
		dur := "-"
		if run.FinishedAt != nil {
			dur = report.FormatMS(run.DurationMS)
		}
		if run.Status == string(history.StatusInterrupted) {
			dur = "≥" + dur
		}
		// What the server answers is cleaned of terminal controls: a
		// playbook's name, or the server, may hold escapes.
		rows[i] = []string{termtext.Line(run.ID), termtext.Line(run.Playbook), history.StatusIcon(report.Status(run.Status)) + " " + termtext.Line(run.Status), termtext.Line(run.Trigger), run.StartedAt.UTC().Format("2006-01-02 15:04:05"), dur,
			runNote(run.DryRun, run.Error, run.ResumedFrom)}
	}
	t := runsTable(rows, termWidth(r.e.stdout))
	t.write(r.e.stdout, r.e.paletteFor(r.e.stdout))
	// Why a queued run has not started, under the table: a column of
	// its own would be empty for every other run.
	for _, run := range out.Runs {
		if run.Waiting != nil && run.Waiting.Message != "" {
			fmt.Fprintf(r.e.stdout, "%s is queued: %s\n", termtext.Line(run.ID), termtext.Line(run.Waiting.Message))
		}
	}
	return ExitOK
}

// runNote is what the NOTE column of 'remote runs' says of a run, as
// 'history' says it: a dry run (which would otherwise read as a run that
// changed something), how it ended when it did not succeed, and the run
// it resumed.
func runNote(dryRun bool, err *report.Error, resumedFrom string) string {
	var notes []string
	if dryRun {
		notes = append(notes, "dry run")
	}
	if err != nil {
		msg := report.OneLine(err.Message, runNoteRoom)
		if class := termtext.Line(err.Class); class != "" && !strings.HasPrefix(msg, class+":") {
			msg = class + ": " + msg
		}
		notes = append(notes, msg)
	}
	if resumedFrom != "" {
		notes = append(notes, "resumed from "+report.OneLine(resumedFrom, runNoteRoom))
	}
	return strings.Join(notes, "; ")
}

// runNoteRoom is the most characters of a run's error in its note.
const runNoteRoom = 80

// runsTable is the table of 'remote runs' for rows of RUN, PLAYBOOK,
// STATUS, TRIGGER, STARTED (UTC), DURATION and NOTE; the NOTE column is
// left out when no run has a note. On a terminal of width
// columns too narrow for it even with the run ids wrapped (a phone's, a
// split pane), where the terminal would wrap every row, STATUS and
// DURATION lead, as in 'history', and each line is cut at the width.
func runsTable(rows [][]string, width int) *table {
	notes := false
	for _, r := range rows {
		notes = notes || len(r) > 6 && r[6] != ""
	}
	t := &table{header: []string{"RUN", "PLAYBOOK", "STATUS", "TRIGGER", "STARTED (UTC)", "DURATION"}}
	narrow := &table{header: []string{"STATUS", "DURATION", "RUN", "PLAYBOOK", "TRIGGER", "STARTED (UTC)"}, cut: true}
	if notes {
		t.header = append(t.header, "NOTE")
		narrow.header = append(narrow.header, "NOTE")
	}
	for _, r := range rows {
		t.add(r[:min(len(r), len(t.header))]...)
	}
	if t.fits(width) {
		return t
	}
	for _, r := range t.rows {
		narrow.add(append([]string{r[2], r[5], r[0], r[1], r[3], r[4]}, r[6:]...)...)
	}
	return narrow
}

// waitPlace is the server's word on what a queued run waits for (its
// "waiting"): the message says it, and which setting holds it back.
type waitPlace struct {
	Message string `json:"message"`
}

// note prints, on w, why a run just started is queued; nothing for a run
// that started or a server that does not say.
func (p *waitPlace) note(w io.Writer) {
	if p == nil || p.Message == "" {
		return
	}
	fmt.Fprintf(w, "queued: %s\n", termtext.Line(p.Message))
}

// otherPlaybooks is what 'history' says of a --playbook no run matches:
// which playbooks the server's latest runs are of, and the one the name
// may be a typo of, for a server that gives no hint of its own. It is
// empty when that cannot be asked.
func (r *remote) otherPlaybooks() string {
	if r.o.playbook == "" {
		return ""
	}
	if looksLikePath(r.o.playbook) {
		return "; --playbook takes the name: a playbook declares, not its file"
	}
	var out struct {
		Runs []struct{ Playbook string } `json:"runs"`
	}
	if _, err := r.call(context.Background(), "GET", "/api/v1/runs?limit="+strconv.Itoa(maxRemoteLimit), nil, &out); err != nil {
		return ""
	}
	names := make([]string, len(out.Runs))
	for i, run := range out.Runs {
		names[i] = termtext.Line(run.Playbook)
	}
	return otherPlaybooks(r.o.playbook, names)
}

// maxRemoteLimit is the most runs the server lists in one answer.
const maxRemoteLimit = 1000

// runsAsked is the filters of 'remote runs' as given, for "no runs
// match": empty without any.
func runsAsked(o remoteOptions) string {
	var s string
	if o.playbook != "" {
		s += " --playbook " + flagValue(o.playbook)
	}
	if len(o.status) > 0 {
		s += " --status " + flagValue(o.status.String())
	}
	if o.since.text != "" {
		s += " --since " + flagValue(o.since.text)
	}
	return s
}

// plainValueRE is a flag's value that reads as one word as it is.
var plainValueRE = regexp.MustCompile(`^[A-Za-z0-9._:/@+-]+$`)

// flagValue is a flag's value as given, double-quoted (Go escapes) unless
// it is one plain word: a space would join it to the next flag, and a
// terminal control would reach the terminal.
func flagValue(v string) string {
	if plainValueRE.MatchString(v) {
		return v
	}
	return strconv.Quote(v)
}
