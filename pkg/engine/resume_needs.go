package engine

import (
	"github.com/arsenal-run/arsenal-run/pkg/report"
	"github.com/arsenal-run/arsenal-run/pkg/steps"
)

// unsucceeded names the first need of n that did not succeed (nor was
// reused) in this run, and what became of it. A reused step stands for a
// run after its needs did their part. When one failed and was excused
// (continue_on_error, a rescue) in this run but not in the resumed one,
// n ran then after a need that did its part, so it runs as it would in a
// fresh run; when the need failed then too, n ran after that failure, as
// it would now, and is reused: running it again would repeat what it did
// (and ask its confirm again). A need its own condition skipped did
// nothing to wait for, and what n reads of it is in n's parameters,
// compared already. Needs that block n never get here: settle skips n.
func (r *run) unsucceeded(n *node) (need, why string) {
	for _, x := range n.needs {
		switch rec := r.rec(x.idx); rec.status {
		case report.StatusSucceeded, report.StatusSkipped:
		case report.StatusFailed:
			if r.failedThen(x.step.ID) {
				continue
			}
			return x.step.ID, "failed"
		default:
			return x.step.ID, "was " + string(rec.status)
		}
	}
	return "", ""
}

// failedThen reports whether step id of the steps section failed in the
// resumed run.
func (r *run) failedThen(id string) bool {
	for _, s := range r.o.resume.Steps {
		if s.ID == id && s.Section == string(steps.SectionSteps) {
			return s.Status == report.StatusFailed
		}
	}
	return false
}
