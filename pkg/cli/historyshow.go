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
	st, code := openStore(e, c, spec)
	if st == nil {
		return code
	}
	defer st.Close()
	ctx := context.Background()
	run, err := store.FindRun(ctx, st, pos[0])
	if msg, ok := store.IDProblem(err); ok {
		fmt.Fprintf(e.stderr, "%s history show: %s\n", program, msg)
		return ExitUsage
	}
	if errors.Is(err, history.ErrNotFound) {
		fmt.Fprintf(e.stderr, "%s history show: no run %q in this history%s; 'history' lists the run ids\n", program, pos[0], store.Hint(err))
		return ExitUsage
	}
	if err != nil {
		storeReadFailed(e, "history", spec, err)
		return ExitFailed
	}
	rows, err := st.Steps(ctx, run.ID)
	if err != nil {
		storeReadFailed(e, "history", spec, err)
		return ExitFailed
	}
	if run.ReportPath != "" {
		// Where the report is now: in a moved or restored state dir, this
		// dir's copy, not the path the row kept.
		run.ReportPath = history.ReportFile(st.Reports(), run.ID, run.ReportPath)
	}
	rep := shownReport(ctx, st, run)
	write := func() error { return history.WriteRunReport(e.stdout, run, rows, rep, true) }
	if !*asJSON {
		// On a terminal a long error wraps under its column, not into
		// the next row; piped, every row is one line.
		write = func() error { return history.WriteRunReportFit(e.stdout, run, rows, rep, termWidth(e.stdout)) }
	}
	if err := write(); err != nil {
		return ExitFailed
	}
	// The table lists a run's own steps, not those of its sub-playbooks:
	// a playbook.run step's row has only the chain of their errors, cut.
	// The report has their steps, so the ones that did not succeed follow
	// the table, as the summary of `run` lists them. --json has their
	// rows ("call/say"), and the report their messages.
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
