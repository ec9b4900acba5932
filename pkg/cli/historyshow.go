package cli

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/arsenal-run/arsenal-run/pkg/history"
	"github.com/arsenal-run/arsenal-run/pkg/report"
	"github.com/arsenal-run/arsenal-run/pkg/store"
)

// historyShow serves `history show RUN_ID [--json]`: one run and its step
// rows from the store, including a run whose process died, with the labels
// and error messages of its report when it has one.
func historyShow(e *env, args []string) int {
	c := historyCommand()
	fs := newFlags(e, c)
	asJSON := fs.Bool("json", false, `print {"run": {...}, "steps": [...]}`)
	var sf stateFlags
	sf.addForReading(fs, readStateDirUsage)
	pos, code, ok := fs.parse(args)
	if !ok {
		return code
	}
	if len(pos) != 1 {
		return fs.usageError("write it as 'history show RUN_ID'; 'history' lists the run ids")
	}
	if strings.TrimSpace(pos[0]) == "" {
		// Every id starts with "": not a start too short to name a run.
		return fs.usageError("the run id is empty: give one that 'history' lists")
	}
	spec, ok := sf.spec(fs, true)
	if !ok {
		return ExitUsage
	}
	store, ok := openStore(e, c, spec)
	if !ok {
		return ExitUsage
	}
	defer store.Close()
	ctx := context.Background()
	run, err := findRun(ctx, store, pos[0])
	if msg, ok := idProblem(err); ok {
		fmt.Fprintf(e.stderr, "%s history show: %s\n", program, msg)
		return ExitUsage
	}
	if errors.Is(err, history.ErrNotFound) {
		fmt.Fprintf(e.stderr, "%s history show: no run %q in this history; 'history' lists the run ids\n", program, pos[0])
		return ExitUsage
	}
	if err != nil {
		storeReadFailed(e, "history", spec, err)
		return ExitFailed
	}
	rows, err := store.Steps(ctx, run.ID)
	if err != nil {
		storeReadFailed(e, "history", spec, err)
		return ExitFailed
	}
	if run.ReportPath != "" {
		// Where the report is now: in a moved or restored state dir, this
		// dir's copy, not the path the row kept.
		run.ReportPath = history.ReportFile(store.Reports(), run.ID, run.ReportPath)
	}
	rep := shownReport(ctx, store, run)
	write := func() error { return history.WriteRunReport(e.stdout, run, rows, rep, true) }
	if !*asJSON {
		// On a terminal a long error wraps under its column, not into
		// the next row; piped, every row is one line.
		write = func() error { return history.WriteRunReportFit(e.stdout, run, rows, rep, termWidth(e.stdout)) }
	}
	if err := write(); err != nil {
		return ExitFailed
	}
	// The history keeps a run's own steps, not those of its sub-playbooks:
	// a playbook.run step's row has only the chain of their errors, cut.
	// The report has their steps, so the ones that did not succeed follow
	// the table, as the summary of `run` lists them. --json leaves them
	// to the report, which has them whole.
	if rep != nil && rep.RunID == run.ID && !*asJSON {
		if err := report.WriteNestedText(e.stdout, rep); err != nil {
			return ExitFailed
		}
	}
	return ExitOK
}

// shownReport is the report of run for `history show` to name its items and
// give their errors, or nil when it has none that can be read: a run still
// going on or whose process died, or a report removed or of another
// version. The history's rows are then shown as they are. The signature is
// not checked: the report only adds text to the history's own rows, which
// the same state holds.
func shownReport(ctx context.Context, st store.Store, run history.Run) *report.Report {
	if run.Status == history.StatusRunning {
		return nil
	}
	data, err := st.ReadReport(ctx, run.ID)
	if err != nil {
		return nil
	}
	rep, err := report.Decode(data)
	if err != nil {
		return nil
	}
	return rep
}

// ambiguousPrefix is the error of a run id's start that several runs share.
type ambiguousPrefix struct {
	prefix string
	ids    []string
	more   bool
}

func (a ambiguousPrefix) Error() string {
	list := strings.Join(a.ids, ", ")
	if a.more {
		list += ", …"
	}
	return fmt.Sprintf("%q starts the ids of several runs: %s", a.prefix, list)
}

// shortPrefix is the error of a start of run ids shorter than their date
// and time.
type shortPrefix ambiguousPrefix

func (p shortPrefix) Error() string {
	list := strings.Join(p.ids, ", ")
	if p.more {
		list += ", …"
	}
	return fmt.Sprintf("%q is too short to name a run: give the whole id, or a start of it at least as long as its date and time (%s); runs whose id starts with it: %s",
		p.prefix, p.ids[0][:min(len(p.ids[0]), len("20060102T150405"))], list)
}

// findRun is the run id names: its whole id, or a start of it that
// runByPrefix takes.
func findRun(ctx context.Context, s store.Store, id string) (history.Run, error) {
	id = runIDCase(id)
	run, err := s.Get(ctx, id)
	if errors.Is(err, history.ErrNotFound) {
		return runByPrefix(ctx, s, id)
	}
	return run, err
}

// runIDCase is id with the T between its date and time upper case, as
// run ids have it: 20261205t221018 as typed names 20261205T221018.
func runIDCase(id string) string {
	if len(id) > 8 && id[8] == 't' && strings.Trim(id[:8], "0123456789") == "" {
		return id[:8] + "T" + id[9:]
	}
	return id
}

// idProblem says what is wrong with the start of an id that findRun could
// not take, as a command's error reads it; ok is false for any other
// error, which the caller reports.
func idProblem(err error) (msg string, ok bool) {
	var short shortPrefix
	var amb ambiguousPrefix
	switch {
	case errors.As(err, &short):
		return short.Error(), true
	case errors.As(err, &amb):
		return amb.Error() + "; give more of the id", true
	}
	return "", false
}

// runByPrefix finds the one run whose id starts with prefix, as git and
// docker take a unique start of an id: the id is long, and a terminal or a
// chat message may have cut it. At least the date and time (15
// characters) are needed, so that a short guess never picks a run.
func runByPrefix(ctx context.Context, s store.Store, prefix string) (history.Run, error) {
	runs, err := s.List(ctx, history.Filter{IDPrefix: prefix, Limit: 6})
	switch {
	case err != nil:
		return history.Run{}, err
	case len(runs) == 0:
		return history.Run{}, history.ErrNotFound
	case len(prefix) < len("20060102T150405"):
		// Not "no run": runs start with it, but it is too short to
		// name one of them.
		short := shortPrefix{prefix: prefix, more: len(runs) > 5}
		for _, r := range runs[:min(len(runs), 5)] {
			short.ids = append(short.ids, r.ID)
		}
		return history.Run{}, short
	case len(runs) > 1:
		amb := ambiguousPrefix{prefix: prefix, more: len(runs) > 5}
		for _, r := range runs[:min(len(runs), 5)] {
			amb.ids = append(amb.ids, r.ID)
		}
		return history.Run{}, amb
	}
	return runs[0], nil
}
