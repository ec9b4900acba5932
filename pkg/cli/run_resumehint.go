package cli

import (
	"fmt"
	"strings"

	"github.com/arsenal-run/arsenal-run/pkg/ops"
	"github.com/arsenal-run/arsenal-run/pkg/report"
)

// resumeHint tells, after a run that failed or was cancelled, the command
// that reruns it from where it stopped, reusing the steps that succeeded:
// by run id when the history has it, else by the report file written. A
// denied run or a dry run has nothing to resume, nor has a run recorded
// nowhere.
func (r *runner) resumeHint(rep *report.Report) string {
	if r.o.dryRun || (rep.Status != report.StatusFailed && rep.Status != report.StatusCancelled) {
		return ""
	}
	if rep.Error != nil && rep.Error.Class == string(ops.ClassAuthorization) {
		return ""
	}
	from := ""
	switch {
	case r.o.stateDir != "" || r.o.spec.Postgres():
		from = rep.RunID
	case r.o.reportPath != "":
		from = r.o.reportPath
	default:
		return ""
	}
	return fmt.Sprintf("%s: to rerun what did not succeed, reusing the steps that did:\n  %s run %s --resume %s\n",
		program, program, shellWord(r.path), shellWord(from))
}

// shellWord is s as a shell reads it back: as it is when it holds only
// characters no shell takes apart, else in single quotes.
func shellWord(s string) string {
	if s != "" && strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_./-+:@%,=") == "" {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
