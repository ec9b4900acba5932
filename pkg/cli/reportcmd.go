package cli

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/arsenal-run/arsenal-run/internal/fsx"
	"github.com/arsenal-run/arsenal-run/internal/shellword"
	"github.com/arsenal-run/arsenal-run/internal/suggest"
	"github.com/arsenal-run/arsenal-run/pkg/history"
	"github.com/arsenal-run/arsenal-run/pkg/report"
	"github.com/arsenal-run/arsenal-run/pkg/store"
)

func reportCommand() *command {
	return &command{
		name:     "report",
		summary:  "render a saved run report",
		synopsis: "report show REPORT.json|RUN_ID [--format text|markdown|junit|html|json] [--state-dir DIR | --state URL]",
		help: `Render a JSON report written by 'run --report', or the report of a run the
state recorded, given by its id (or the start of it, as 'history' lists it),
as text, Markdown, JUnit XML, self-contained HTML or JSON, to stdout.`,
		exits: "0 rendered; 1 the recorded report could not be read; 2 bad usage, no such run or report, or not a report.",
		run:   runReport,
	}
}

// runIDShape is what a run id, or its start as 'history' shows it, looks
// like: a date and time, then a dash and hex, or a start of them, which
// the history then names the runs of. A file is never taken for one when
// it exists. After the dash any letter is taken, so that an id mistyped
// by hand (a g, an O for a 0, capitals) is looked up, and the run it
// likely meant named, not opened as a file.
// A start shorter than the date, from its year on (2026), is taken too,
// so that it is answered as too short to name a run, with the runs it
// starts, rather than as a file not found.
var runIDShape = regexp.MustCompile(`^(\d{4,7}|\d{8}(T\d{6}(-[0-9A-Za-z]*)?|T\d{0,5})?)$`)

func runReport(e *env, args []string) int {
	c := reportCommand()
	flags := newFlags(e, c)
	format := flags.String("format", "text", "render as `FORMAT`: "+strings.Join(report.Formats, ", ")+" (or md), in any case")
	var sf stateFlags
	sf.addForReading(flags, "with a RUN_ID, the state "+strings.TrimPrefix(readStateDirUsage, "the state "))
	pos, code, ok := flags.parse(args)
	if !ok {
		return code
	}
	if len(pos) > 0 && pos[0] != "show" {
		return flags.usageError("unknown subcommand %q%s; write it as 'report show REPORT.json' or 'report show RUN_ID'", pos[0], suggest.DidYouMean(pos[0], []string{"show"}))
	}
	if len(pos) != 2 {
		return flags.usageError("write it as 'report show REPORT.json' or 'report show RUN_ID'")
	}
	if strings.TrimSpace(pos[1]) == "" {
		return flags.usageError("the report or run id is empty: give the REPORT.json that 'run --report' wrote, or a run id that 'history' lists")
	}
	*format = formatName(*format, report.Formats)
	if !contains(report.Formats, *format) {
		hint := suggest.DidYouMean(*format, report.Formats)
		if *format == "xml" {
			hint = ` (JUnit XML is "junit")` // not "html", the closest name
		}
		return flags.usageError("unknown format %q%s; use one of %s", *format, hint, strings.Join(report.Formats, ", "))
	}
	var rep *report.Report
	if _, err := os.Stat(pos[1]); errors.Is(err, fs.ErrNotExist) && runIDShape.MatchString(store.RunIDCase(pos[1])) {
		if rep, code = recordedReport(e, c, &sf, flags, pos[1]); rep == nil {
			return code
		}
	} else {
		r, err := report.Read(pos[1])
		if errors.Is(err, fs.ErrNotExist) {
			fmt.Fprintf(e.stderr, "%s report: %v; give the REPORT.json that 'run --report' wrote, or a run id that 'history' lists\n", program, err)
			return ExitUsage
		}
		if err != nil {
			// A playbook, the JUnit, HTML or Markdown a run wrote, the reports
			// directory: the decoder's reason alone says not what to give.
			if kind := notReportKind(pos[1]); kind != "" {
				err = fmt.Errorf("%s: not a report: it is %s", pos[1], kind)
			}
			if isStateDir(pos[1]) {
				// The state dir given for the report it holds.
				dir := shellword.Word(pos[1])
				fmt.Fprintf(e.stderr, "%s report: %s is a state dir, not a report: give the run's id with it, 'report show RUN_ID --state-dir %s' ('history --state-dir %s' lists the ids)\n", program, pos[1], dir, dir)
				return ExitUsage
			}
			// A report of another version says which arsenal-run reads
			// it: another file is no answer to that.
			if de := (*report.DecodeError)(nil); !errors.As(err, &de) || !de.Foreign {
				err = fmt.Errorf("%w; give the JSON report that 'run --report' wrote, or a run id that 'history' lists", err)
			}
			fmt.Fprintf(e.stderr, "%s report: %v\n", program, err)
			return ExitUsage
		}
		rep = r
	}
	// Rendered whole first: an error here is the report's; one writing it
	// out is Main's to report. The text summary fits a terminal, as at
	// the end of 'run'.
	var b bytes.Buffer
	render := func() error { return report.Render(&b, rep, *format) }
	if *format == "text" {
		render = func() error { return report.WriteTextFit(&b, rep, termWidth(e.stdout)) }
	}
	if err := render(); err != nil {
		e.errorf("%v", err)
		return ExitFailed
	}
	e.stdout.Write(b.Bytes())
	return ExitOK
}

// recordedReport reads the report of the run id (or its start) names from
// the state the flags give, or says why there is none and returns the
// exit code.
func recordedReport(e *env, c *command, sf *stateFlags, flags *flagSet, id string) (*report.Report, int) {
	spec, ok := sf.spec(flags, true)
	if !ok {
		return nil, ExitUsage
	}
	st, code := openStore(e, c, spec)
	if st == nil {
		return nil, code
	}
	defer st.Close()
	ctx := context.Background()
	run, err := store.FindRun(ctx, st, id)
	msg, bad := store.IDProblem(err)
	switch {
	case bad:
		fmt.Fprintf(e.stderr, "%s report: %s\n", program, msg)
		return nil, ExitUsage
	case errors.Is(err, history.ErrNotFound):
		fmt.Fprintf(e.stderr, "%s report: no file %s, and no run of that id in %s%s; 'history' lists the run ids\n", program, id, sf.name(spec), store.Hint(err))
		return nil, ExitUsage
	case err != nil:
		e.cmdErrorf("report", "%v", err)
		return nil, ExitFailed
	}
	data, err := st.ReadReport(ctx, run.ID)
	switch {
	case errors.Is(err, history.ErrNotFound) && run.Status == history.StatusRunning:
		fmt.Fprintf(e.stderr, "%s report: run %s is still running, and its report is written when it ends; 'history show %s' shows its steps so far\n", program, run.ID, run.ID)
		return nil, ExitUsage
	case errors.Is(err, history.ErrNotFound):
		fmt.Fprintf(e.stderr, "%s report: run %s (%s) has no report; 'history show %s' shows the steps it recorded\n", program, run.ID, run.Status, run.ID)
		return nil, ExitUsage
	case err != nil:
		e.cmdErrorf("report", "run %s: %v", run.ID, err)
		return nil, ExitFailed
	}
	rep, err := report.Decode(data)
	if err != nil {
		e.cmdErrorf("report", "run %s: %v", run.ID, err)
		return nil, ExitUsage
	}
	return rep, ExitOK
}

// notReportKind names what a file given to 'report show' is when it is a
// file a run reads or writes other than the JSON report: a playbook, the
// JUnit XML or HTML report, the Markdown summary. "" when it is none of
// them.
func notReportKind(path string) string {
	// Opened as the report was: a FIFO or a device is never waited on.
	f, err := fsx.Open(path)
	if err != nil {
		return ""
	}
	defer f.Close()
	head := make([]byte, 4096)
	n, _ := f.Read(head)
	kind := report.OtherKind(head[:n])
	if kind == report.KindPlaybook {
		kind += " (run it with 'arsenal-run run')"
	}
	return kind
}

// isStateDir reports whether path is a directory that holds a history
// database, as run's --state-dir does.
func isStateDir(path string) bool {
	st, err := os.Stat(filepath.Join(path, history.FileName))
	return err == nil && st.Mode().IsRegular()
}
