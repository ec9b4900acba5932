package cli

import (
	"fmt"
	"slices"
	"strings"

	"github.com/arsenal-run/arsenal-run/internal/shellword"
	"github.com/arsenal-run/arsenal-run/pkg/auth"
	"github.com/arsenal-run/arsenal-run/pkg/engine"
	"github.com/arsenal-run/arsenal-run/pkg/ops"
	"github.com/arsenal-run/arsenal-run/pkg/report"
	"github.com/arsenal-run/arsenal-run/pkg/runs"
	"github.com/arsenal-run/arsenal-run/pkg/store"
)

// resumeHint tells, after a run that failed or was cancelled, the command
// that reruns it from where it stopped, reusing the steps that succeeded:
// by run id when the history has it, else by the report file written. A
// denied run or a dry run has nothing to resume, nor has a run recorded
// nowhere, nor one that never started (skipped or replaced by its
// concurrency group, cancelled while it waited): nothing ran to reuse.
func (r *runner) resumeHint(rep *report.Report) string {
	cmd := r.resumeCommand(rep)
	if cmd == "" {
		return ""
	}
	return fmt.Sprintf("%s: %s:\n  %s\n", program, resumeMessage, cmd)
}

// resumeMessage introduces the command that resumes a run.
const resumeMessage = "to rerun what did not succeed, reusing the steps that did"

// rerunMessage introduces that command for a run whose report was
// written from its progress as the process exited: it keeps no outputs,
// so the resume runs every step again.
const rerunMessage = "to run it again (the process exited mid-run, so no step's output was kept: every step runs again)"

// writeResumeHint writes resumeHint on stderr or, with --log-format json,
// as a JSON line with the command in "command", at the level of the run's
// end, so that every line a JSON log writes parses (piped into jq or a
// log collector).
func (r *runner) writeResumeHint(rep *report.Report) {
	cmd := r.resumeCommand(rep)
	if cmd == "" {
		return
	}
	msg := resumeMessage
	if rep.Error != nil && strings.HasSuffix(rep.Error.Message, runs.FromProgress) {
		// Written as the process exited: no output is kept to reuse.
		msg = rerunMessage
	}
	r.notice(engine.RunEndLevel(rep.Status), fmt.Sprintf("%s: %s:\n  %s\n", program, msg, cmd), msg, str("command", cmd))
}

// resumeCommand is the command line that resumes rep's run, "" when
// there is nothing to resume (see resumeHint).
func (r *runner) resumeCommand(rep *report.Report) string {
	if r.o.dryRun || (rep.Status != report.StatusFailed && rep.Status != report.StatusCancelled) || !ranAny(rep) {
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
	return fmt.Sprintf("%s run %s --resume %s%s", program, shellword.Word(r.path), shellword.Word(from), r.resumeFlags())
}

// resumeFlags are the flags of this run, given on its command line, that
// the resume needs as well: the history that holds the run (--state-dir,
// --state, without which a run id is no report file) and the policy and
// roles it ran with (a resume under other roles is refused). What came
// from the environment ($ARSENAL_STATE_DIR, $ARSENAL_ROLES) comes again.
// A database URL's password is masked, as everywhere it is printed.
func (r *runner) resumeFlags() string {
	var b strings.Builder
	if st := r.o.state; st.dir != "" {
		b.WriteString(" --state-dir " + shellword.Word(st.dir))
	} else if st.url != "" && !st.fromEnv {
		b.WriteString(" --state " + shellword.Word(store.Mask(st.url)))
		if st.reportDir != "" {
			b.WriteString(" --report-dir " + shellword.Word(st.reportDir))
		}
	}
	if r.o.policy != "" {
		b.WriteString(" --policy " + shellword.Word(r.o.policy))
	}
	if r.o.rolesFrom == "" && !slices.Equal(r.o.roles, listFlag{auth.DefaultRole}) {
		for _, role := range r.o.roles {
			b.WriteString(" --role " + shellword.Word(role))
		}
	}
	return b.String()
}

// ranAny reports whether a step of rep started, or succeeded without
// starting (reused, cached): a run that never started has every step
// skipped, with none of these.
func ranAny(rep *report.Report) bool {
	for i := range rep.Steps {
		if rep.Steps[i].StartedAt != nil || rep.Steps[i].Status == report.StatusSucceeded {
			return true
		}
	}
	return false
}
