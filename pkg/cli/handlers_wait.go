package cli

import (
	"fmt"
	"os"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/arsenal-run/arsenal-run/internal/short"
	"github.com/arsenal-run/arsenal-run/pkg/engine"
	"github.com/arsenal-run/arsenal-run/pkg/steps"
)

// handlersWaitMsg is the line a run's first signal adds when its playbook,
// or a sub-playbook it runs, has on_cancel or finally steps: the run does
// not end at the signal but after them, for at most the handler budget
// (more when a handler runs a sub-playbook with handlers of its own: see
// handlersWait), and the same signal again stops them and exits. Without
// it, a run that went quiet after Ctrl-C while its finally steps, or a
// sub-playbook's, ran read as hung. "" for a playbook without such steps,
// and for a hangup: nobody is left to read it.
func handlersWaitMsg(pb *steps.Playbook, sig os.Signal) string {
	if pb == nil || sig == syscall.SIGHUP {
		return ""
	}
	var h handlerSteps
	h.collect(pb, "", map[*steps.Playbook]bool{})
	if len(h.ids) == 0 {
		return ""
	}
	named := strings.Join(h.ids[:min(len(h.ids), 3)], ", ")
	if len(h.ids) > 3 {
		named += fmt.Sprintf(" and %d more", len(h.ids)-3)
	}
	var what []string
	if len(h.own) > 0 {
		what = append(what, "its "+strings.Join(h.own, " and ")+" steps")
	}
	if len(h.subs) > 0 {
		what = append(what, "its sub-playbooks' "+strings.Join(h.subs, " and ")+" steps")
	}
	again := signalName(sig) + " again"
	if sig == os.Interrupt {
		again = "Ctrl-C again"
	}
	wait := handlersWait(pb, engine.DefaultHandlerBudget, map[*steps.Playbook]time.Duration{})
	return fmt.Sprintf("the run ends once %s (%s) have run, at most %s from now; %s exits at once, leaving them unfinished",
		strings.Join(what, " and "), named, short.Duration(wait), again)
}

// handlerSteps are the on_cancel and finally steps a cancelled run may
// still run: ids, its own by their id and a sub-playbook's by the path
// of steps that lead to it ("deploy/rollback"), as the report's nested
// rows name them; own and subs, the sections they are in.
type handlerSteps struct {
	ids       []string
	own, subs []string
}

// collect adds the handler steps of pb, whose steps are named after
// prefix, and of the sub-playbooks known at load that its steps run.
// A sub-playbook that several steps run is named once, after the first.
func (h *handlerSteps) collect(pb *steps.Playbook, prefix string, seen map[*steps.Playbook]bool) {
	seen[pb] = true
	for _, s := range pb.AllSteps() {
		if isCancelHandler(s.Section) {
			h.ids = append(h.ids, prefix+s.ID)
			secs := &h.own
			if prefix != "" {
				secs = &h.subs
			}
			if sec := string(s.Section); !slices.Contains(*secs, sec) {
				*secs = append(*secs, sec)
			}
		}
	}
	for _, s := range pb.AllSteps() {
		if sub := s.SubPlaybook(); sub != nil && !seen[sub] && runsOnCancel(s.Section) {
			h.collect(sub, prefix+s.ID+"/", seen)
		}
	}
}

// handlersWait is how long a run of pb may still take once cancelled,
// its operations' kill grace aside: budget when it has handlers, which
// the run gives them from the cancel; a sub-playbook run by one of its
// steps is cancelled with it and its handlers have the same budget from
// then, but one run by a handler is cancelled only when that budget ends,
// and its own handlers then have another. Each playbook is reckoned once
// (memo); a chain that leads back to itself is not known at load.
func handlersWait(pb *steps.Playbook, budget time.Duration, memo map[*steps.Playbook]time.Duration) time.Duration {
	if w, ok := memo[pb]; ok {
		return w
	}
	memo[pb] = 0
	var main, handlers time.Duration
	has := false
	for _, s := range pb.AllSteps() {
		if !runsOnCancel(s.Section) {
			continue
		}
		var w time.Duration
		if sub := s.SubPlaybook(); sub != nil {
			w = handlersWait(sub, budget, memo)
		}
		if isCancelHandler(s.Section) {
			has, handlers = true, max(handlers, w)
		} else {
			main = max(main, w)
		}
	}
	w := main
	if has {
		w = max(w, budget+handlers)
	}
	memo[pb] = w
	return w
}

// isCancelHandler reports whether steps of section sec run when their
// run is cancelled: on_cancel and finally.
func isCancelHandler(sec steps.Section) bool {
	return sec == steps.SectionOnCancel || sec == steps.SectionFinally
}

// runsOnCancel reports whether steps of section sec may be running, or
// still to run, once their run is cancelled: its steps and rescue steps,
// which the cancel stops, and its on_cancel and finally steps.
func runsOnCancel(sec steps.Section) bool {
	return sec == steps.SectionSteps || sec == steps.SectionRescue || sec == "" || isCancelHandler(sec)
}
