package runs

import (
	"context"
	"fmt"

	"github.com/arsenal-run/arsenal-run/pkg/history"
	"github.com/arsenal-run/arsenal-run/pkg/ops"
	"github.com/arsenal-run/arsenal-run/pkg/report"
)

// checkResumedAgain refuses to resume a run that a run in the history is
// resuming, or resumed to success: the steps that resume ran, or is
// running, would run a second time (a migration, a deploy to every host),
// as when two people at an incident both copy the command the failed run
// printed. A resume that failed or was cancelled does not count: resuming
// the run again, with its cause fixed, is what the hint of that resume's
// own report would do as well, less what it reused. A dry run of that
// resume, one denied before anything ran and one its concurrency group
// skipped did nothing, and do not count either. With no history, or one
// that cannot be read, nothing is refused, unless ctx ended first: the
// request was given up on, and the answer is its error.
//
// A resume of a resume counts the same: when run B resumed run A and
// failed, and run C resumed B and succeeded, A is done too.
//
// A resume given a selection (--from STEP) reruns steps on purpose, so
// only a resume still running refuses it (rerun): the two would run the
// same steps at the same time.
func (s *Service) checkResumedAgain(ctx context.Context, prev *report.Report, rerun bool) error {
	if s.store == nil || prev.RunID == "" {
		return nil
	}
	seen := map[string]bool{prev.RunID: true}
	next := []string{prev.RunID}
	for hop := 0; hop < maxResumeChain && len(next) > 0; hop++ {
		var later []string
		for _, id := range next {
			runs, err := s.store.List(ctx, history.Filter{ResumedFrom: id, Limit: 20})
			if err != nil {
				if ctx.Err() != nil {
					return fmt.Errorf("--resume: %w", context.Cause(ctx))
				}
				return nil
			}
			for _, r := range runs {
				if seen[r.ID] || r.DryRun || r.Status == report.StatusSkipped || (r.Error != nil && r.Error.Class == string(ops.ClassAuthorization)) {
					continue
				}
				seen[r.ID] = true
				by := "by run " + r.ID
				if id != prev.RunID {
					by += " (which resumed run " + id + ")"
				}
				switch r.Status {
				case history.StatusRunning:
					return fmt.Errorf("--resume: run %s is being resumed already, %s, still running (`arsenal-run history show %s`): a second resume would run the same steps again at the same time; wait for it to end, and resume run %s if it does not succeed",
						prev.RunID, by, r.ID, r.ID)
				case report.StatusSucceeded:
					if rerun {
						break
					}
					return fmt.Errorf("--resume: run %s was resumed already, %s, which succeeded: what run %s left undone is done. Run the playbook from the start to run it all again, or, to rerun its steps from a chosen one, add --from STEP to --resume %s",
						prev.RunID, by, prev.RunID, prev.RunID)
				}
				later = append(later, r.ID)
			}
		}
		next = later
	}
	return nil
}

// maxResumeChain bounds how many resumes of resumes checkResumedAgain
// follows.
const maxResumeChain = 20
