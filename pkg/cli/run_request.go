package cli

import (
	"errors"
	"fmt"
	"os"
	"os/user"
	"strconv"
	"strings"

	"github.com/arsenal-run/arsenal-run/pkg/auth"
	"github.com/arsenal-run/arsenal-run/pkg/engine"
	"github.com/arsenal-run/arsenal-run/pkg/runs"
	"github.com/arsenal-run/arsenal-run/pkg/steps"
)

// This file is what run asks of the run service: the request its flags
// make, and how a request the service refused is told.

// request turns the flags into a run request.
func (r *runner) request(pb *steps.Playbook, policy *auth.Policy) (runs.Request, int, bool) {
	e, o := r.e, r.o
	req := runs.Request{
		Playbook: pb,
		Policy:   policy,
		Caller:   runs.Caller{Roles: o.roles, Name: osUser(), From: hostName(), Trigger: runs.TriggerCLI},
		DryRun:   o.dryRun, Yes: o.yes, Force: o.force,
		ResumeFrom:  o.resume,
		InputsFile:  o.inputsFile,
		Sinks:       runs.Sinks{Report: o.reportPath, JUnit: o.junit, Markdown: o.markdown, HTML: o.html, StepSummary: true},
		Reads:       map[string]string{"the policy": o.policy, "the audit log": o.auditLog, "the inventory": o.remote.inventory},
		MaxParallel: o.parallel,
		BaseURL:     o.baseURL,
		Selection:   engine.Selection{From: o.from, Only: o.only},
		Notice:      func(format string, args ...any) { e.notice(fmt.Sprintf(format, args...)) },
	}
	req.InputText = map[string]string{}
	for _, kv := range o.inputs {
		k, v, ok := strings.Cut(kv, "=")
		if !ok || k == "" {
			e.say(fmt.Sprintf("%s: %s\nnothing ran\n", r.path, noEquals("input", kv)))
			return req, ExitUsage, false
		}
		if old, twice := req.InputText[k]; twice && old != v {
			// Not the last one silently winning, as for a flag of one
			// value; the values are not shown: the input may be secret.
			e.say(fmt.Sprintf("%s: --input %s is given twice, with different values: give it once\nnothing ran\n", r.path, k))
			return req, ExitUsage, false
		}
		req.InputText[k] = v
	}
	return req, 0, true
}

// canAsk reports whether confirm: questions can be asked: without --yes,
// on a terminal that is both stdin, where the answer is read, and
// stderr, where the question is shown. When not, and one of them is a
// terminal, hint completes the error of a step denied for it: "there is
// no terminal to ask" reads as wrong to someone at one who piped stderr
// through tee. "" otherwise: the engine's hint.
func (r *runner) canAsk() (ok bool, hint string) {
	if r.o.yes {
		return false, ""
	}
	stdinTerm, stderrTerm := r.e.isTerminal(r.e.stdin), r.e.isTerminal(r.e.stderr)
	switch {
	case stdinTerm && stderrTerm:
		return true, ""
	case stdinTerm:
		return false, "stderr, where the question is asked, is not a terminal (it is redirected: 2>&1 | tee, 2>FILE); leave stderr on the terminal (| tee takes stdout alone), or run with --yes to confirm"
	case stderrTerm:
		return false, "stdin, where the answer is read, is not a terminal (it is redirected: < FILE, a pipe); run with stdin on the terminal, or with --yes to confirm"
	}
	return false, ""
}

// prepareError reports a request the service refused before running it.
func (r *runner) prepareError(err error) int {
	e := r.e
	var pe *runs.PrepareError
	if !errors.As(err, &pe) {
		e.errorf("%v", err)
		return ExitFailed
	}
	switch pe.Field {
	case "playbook":
		r.gh.diagnostics(pe.Err)
		e.problems(pe.Err, r.path+" has problems; nothing ran")
		return ExitUsage
	case "roles", "resume", "selection":
		return usageError(e, r.c, "%v", pe.Err)
	case "sinks":
		e.say(fmt.Sprintf("%v\nnothing ran\n", pe.Err))
		return ExitUsage
	}
	if ds := (steps.Diagnostics)(nil); errors.As(pe.Err, &ds) {
		// Problems in an inputs file name their own file:line:column.
		r.gh.diagnostics(ds)
		e.problems(ds, "nothing ran")
		return ExitUsage
	}
	e.say(fmt.Sprintf("%s: %v\nnothing ran\n", r.path, pe.Err))
	return ExitUsage
}

// osUser and hostName say who runs the CLI, for the audit log and history.
func osUser() string {
	if u, err := user.Current(); err == nil {
		return u.Username
	}
	return strconv.Itoa(os.Getuid())
}

func hostName() string {
	h, _ := os.Hostname()
	return h
}
