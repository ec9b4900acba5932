package runs

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"slices"
	"strings"

	"github.com/arsenal-run/arsenal-run/internal/fsx"
	"github.com/arsenal-run/arsenal-run/pkg/auth"
	"github.com/arsenal-run/arsenal-run/pkg/engine"
	"github.com/arsenal-run/arsenal-run/pkg/history"
	"github.com/arsenal-run/arsenal-run/pkg/report"
	"github.com/arsenal-run/arsenal-run/pkg/store"
)

// maxResumeSize bounds the report a resume reads.
const maxResumeSize = 256 << 20

// resumed is the earlier run a request resumes, and whether arsenal-run
// can vouch for it: a resumed run reuses its outputs, so a report someone
// edited could steer what the run does next.
type resumed struct {
	rep      *report.Report
	file     string
	verified bool
	why      string // why it could not be verified
	// failed: there was a key to check it with, and the report is
	// signed with another, or was changed since. (A report with no
	// signature is not failed: verifyResume warns of it itself.)
	failed bool
	// recorded: read from the history by run id, not from a file the
	// caller gave.
	recorded bool
}

// loadResume reads the report a request names: a report file, or else a
// run id looked up in the store's history. The report is verified with
// the store's key; an unverified one is still returned, and
// checkResumeTrust decides what it may be used for.
func (s *Service) loadResume(arg string) (*resumed, error) {
	if _, err := os.Stat(arg); !errors.Is(err, fs.ErrNotExist) {
		data, err := readReportFile(arg)
		if err != nil {
			return nil, err
		}
		return s.verifyResume(arg, data)
	}
	if s.store == nil {
		return nil, fmt.Errorf("%s: no such report file; to resume by run id, give the --state-dir (or --state) that recorded the run", arg)
	}
	ctx := context.Background()
	run, err := store.FindRun(ctx, s.store, arg)
	if msg, ok := store.IDProblem(err); ok {
		return nil, fmt.Errorf("%s: no such report file, and %s", arg, msg)
	}
	if errors.Is(err, history.ErrNotFound) {
		return nil, fmt.Errorf("%s: no such report file, and no run %s in the history of %s%s (see `arsenal-run history`)", arg, arg, s.store.Describe(), store.Hint(err))
	}
	if err != nil {
		return nil, fmt.Errorf("%s: no such report file, and reading the history of %s for a run of that id failed: %w", arg, s.store.Describe(), err)
	}
	data, err := s.store.ReadReport(ctx, run.ID)
	if run.Status == history.StatusInterrupted && (errors.Is(err, history.ErrNotFound) || errors.Is(err, fs.ErrNotExist)) {
		return nil, fmt.Errorf("run %s was interrupted: the process running it ended before it wrote a report, so there is nothing to resume from; run the playbook again, or rerun part of it with --from STEP (`arsenal-run history show %s` lists the steps that finished)", run.ID, run.ID)
	}
	if run.Status == history.StatusRunning && (errors.Is(err, history.ErrNotFound) || errors.Is(err, fs.ErrNotExist)) {
		return nil, fmt.Errorf("run %s is still running: it has no report to resume from until it ends; wait for it (`arsenal-run history show %s`), and resume it if it fails", run.ID, run.ID)
	}
	if errors.Is(err, history.ErrNotFound) {
		return nil, fmt.Errorf("run %s has no recorded report to resume from", arg)
	}
	if err != nil {
		return nil, fmt.Errorf("%w; give the JSON report of a run", err)
	}
	file := run.ReportPath
	if hs, ok := s.store.(*history.Store); ok && file != "" {
		// Name the file ReadReport read: in a moved or restored state
		// dir, this dir's copy, not the path the row kept.
		file = history.ReportFile(hs.Reports(), run.ID, file)
	}
	if file == "" {
		file = "the recorded report of run " + run.ID
	}
	res, err := s.verifyResume(file, data)
	if res != nil {
		res.recorded = true
	}
	return res, err
}

// verifyResume checks a report's signature; an unverified report is
// returned with the reason.
func (s *Service) verifyResume(file string, data []byte) (*resumed, error) {
	res := &resumed{file: file}
	unsigned := false
	switch {
	case s.key == nil && s.store == nil:
		res.why = "no --state-dir is set, so there is no key to verify its signature with"
	case s.key == nil:
		res.why = "the state dir's report key cannot be used: " + s.keyErr
	default:
		rep, err := report.Verify(data, s.key)
		if err == nil {
			res.rep, res.verified = rep, true
			return res, nil
		}
		if !errors.Is(err, report.ErrUnsigned) && !errors.Is(err, report.ErrBadSignature) {
			return nil, notResumable(file, err)
		}
		// A report with no signature at all is not one that was changed
		// or signed elsewhere: it gets its own warning below, not the
		// caller's for a report that fails the check.
		unsigned = errors.Is(err, report.ErrUnsigned)
		res.why, res.failed = err.Error(), !unsigned
	}
	var err error
	if res.rep, err = report.Decode(data); err != nil {
		return nil, notResumable(file, err)
	}
	if unsigned {
		// Worded after what checkResumeTrust does with it: its outputs
		// are reused as it says, under the caller's own roles only.
		s.warn("--resume %s: the report carries no signature: it was written before reports were signed, or by a build without a key (or its signature was removed); "+
			"it is not trusted as this state dir's signed reports are: the steps it reuses are taken as it says, "+
			"and no step of this run may be allowed through a policy grant", file)
	}
	return res, nil
}

// notResumable names file in err, Decode's or Verify's error on its data,
// and says what to give instead unless it is a report of another version,
// whose message names the arsenal-run that reads it.
func notResumable(file string, err error) error {
	err = report.InFile(file, err)
	if de := (*report.DecodeError)(nil); errors.As(err, &de) && de.Foreign {
		return err
	}
	return fmt.Errorf("%w; give the JSON report of a run: the file its --report wrote, or its run id with the --state-dir that recorded it", err)
}

// readReportFile reads a regular file of at most maxResumeSize bytes; a
// FIFO or a device is refused at once.
func readReportFile(path string) ([]byte, error) {
	data, err := fsx.ReadFile(path, maxResumeSize)
	if err != nil {
		return nil, fmt.Errorf("%w; give the JSON report of a run", err)
	}
	return data, nil
}

// checkResumeTrust applies the rule for reports arsenal-run cannot vouch
// for. Under a delegation grant, the steps the grant allowed are denied:
// the run would act with another role's rights on outputs anyone could
// have written; refusal says so and what to do instead, and the run is
// refused outright, a dry run too (see preflight). Either way the subject
// returned never uses a grant, so that nothing the run does rests on the
// grant even if it went on: the caller's own roles may do what the report
// steers them to anyway.
func checkResumeTrust(res *resumed, decisions []auth.StepDecision, subject *auth.Subject) (ds []auth.StepDecision, subj *auth.Subject, refusal string) {
	if res == nil || res.verified {
		return decisions, subject, ""
	}
	if !auth.UsesGrant(decisions) {
		return decisions, subject.DirectOnly(), ""
	}
	rule := fmt.Sprintf("a delegated run resumes only from a report arsenal-run recorded itself, and %s cannot be verified", res.file)
	refusal = fmt.Sprintf("--resume %s: the report cannot be verified: %s.\n"+
		"Steps of this run are allowed only through a policy grant, so it may reuse only outputs that arsenal-run recorded itself: "+
		"resume by run id (--resume RUN_ID) with the --state-dir that recorded the run, or run the playbook from the start.\n", res.file, res.why)
	return auth.WithoutGrants(decisions, rule, false), subject.DirectOnly(), refusal
}

// checkResumeRoles refuses to resume a run started with other roles: a
// resume (and --only, --from) carries over the outputs of the steps it
// reuses, and what one role's steps read (a file outside another's
// file_roots, say) must not reach a caller whose roles could not have
// read it. The roles are compared as sets. A report file arsenal-run
// cannot vouch for is not checked: its outputs, roles included, are the
// caller's own text, and checkResumeTrust judges it.
func checkResumeRoles(res *resumed, roles []string) error {
	if !res.verified && !res.recorded {
		return nil
	}
	prev := res.rep
	was, now := slices.Clone(prev.Roles), slices.Clone(roles)
	slices.Sort(was)
	slices.Sort(now)
	was, now = slices.Compact(was), slices.Compact(now)
	if slices.Equal(was, now) {
		return nil
	}
	started := "with no roles recorded"
	if len(was) > 0 {
		started = "with roles " + strings.Join(was, ", ")
	}
	return fmt.Errorf("--resume: run %s was started %s, and this run has %s: a resume reuses that run's outputs, which only the roles that ran it may read. "+
		"Resume it with the same --role, or run the playbook from the start", prev.RunID, started, strings.Join(now, ", "))
}

// checkGrantInputs applies the rule that a grant pins a runbook's inputs
// as well as its file: when a step rests on the playbook's grant and the
// caller set an input that neither the grant nor the runbook constrains
// (or a value their rule refuses), those steps are denied before anything
// runs. It returns the verdicts and, on a refusal, the explanation.
func checkGrantInputs(decisions []auth.StepDecision, subject *auth.Subject, inputs map[string]any) ([]auth.StepDecision, string) {
	if !auth.UsesGrant(decisions) {
		return decisions, ""
	}
	err := subject.CheckInputs(inputs)
	var ie *auth.InputsError
	if !errors.As(err, &ie) {
		return decisions, ""
	}
	rule := fmt.Sprintf("the grant of %s does not let the caller set %s", ie.Grant, strings.Join(ie.Inputs, ", "))
	var b strings.Builder
	what := "these inputs"
	if len(ie.Inputs) == 1 {
		what = "this input"
	}
	fmt.Fprintf(&b, "role %s's grant of %s (policy %s) does not let the caller set %s:\n", ie.Role, ie.Grant, ie.Policy, what)
	for _, p := range ie.Problems {
		fmt.Fprintf(&b, "  - %s\n", p)
	}
	return auth.WithoutGrants(decisions, rule, true), b.String()
}

// checkGrantSelection applies the rule that a grant is for a whole
// runbook: it pins the file and its inputs, and so which steps run, guards
// included. A run that would use a grant may not pick its steps (--only,
// --from); --resume, which runs again the steps that did not succeed, may.
func checkGrantSelection(sel engine.Selection, ds []auth.StepDecision) error {
	if sel.IsZero() {
		return nil
	}
	for _, d := range ds {
		if !d.Decision.Allowed || d.Decision.Via == "" || d.Decision.Via == "direct" {
			continue
		}
		return fmt.Errorf("%s: step %s (%s) is allowed only through a policy grant (%s), and a grant is for the whole runbook: "+
			"a run under it may not pick its steps with --only or --from. Run the whole runbook, or resume a failed run of it with --resume RUN_ID; "+
			"to run some of its steps alone, ask for a grant of a runbook with just those steps, or for roles that allow them directly", sel, d.Step, d.Op, d.Decision.Via)
	}
	return nil
}
