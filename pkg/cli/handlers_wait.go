package cli

import (
	"fmt"
	"os"
	"slices"
	"strings"
	"syscall"

	"github.com/arsenal-run/arsenal-run/internal/short"
	"github.com/arsenal-run/arsenal-run/pkg/engine"
	"github.com/arsenal-run/arsenal-run/pkg/steps"
)

// handlersWaitMsg is the line a run's first signal adds when its playbook
// has on_cancel or finally steps: the run does not end at the signal but
// after them, for at most the handler budget, and the same signal again
// stops them and exits. Without it, a run that went quiet after Ctrl-C
// while its finally steps ran read as hung. "" for a playbook without
// such steps, and for a hangup: nobody is left to read it.
func handlersWaitMsg(pb *steps.Playbook, sig os.Signal) string {
	if pb == nil || sig == syscall.SIGHUP {
		return ""
	}
	var ids, sections []string
	for _, s := range pb.AllSteps() {
		if s.Section != steps.SectionOnCancel && s.Section != steps.SectionFinally {
			continue
		}
		ids = append(ids, s.ID)
		if sec := string(s.Section); !slices.Contains(sections, sec) {
			sections = append(sections, sec)
		}
	}
	if len(ids) == 0 {
		return ""
	}
	named := strings.Join(ids[:min(len(ids), 3)], ", ")
	if len(ids) > 3 {
		named += fmt.Sprintf(" and %d more", len(ids)-3)
	}
	again := signalName(sig) + " again"
	if sig == os.Interrupt {
		again = "Ctrl-C again"
	}
	return fmt.Sprintf("the run ends once its %s steps (%s) have run, at most %s from now; %s exits at once, leaving them unfinished",
		strings.Join(sections, " and "), named, short.Duration(engine.DefaultHandlerBudget), again)
}
