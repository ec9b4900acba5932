package cli

import (
	"errors"
	"fmt"

	"github.com/arsenal-run/arsenal-run/pkg/engine"
	"github.com/arsenal-run/arsenal-run/pkg/ops"
	"github.com/arsenal-run/arsenal-run/pkg/steps"
)

// listTail ends the message of inputs --list refused.
const listTail = "the steps are not listed: --list checks the inputs it is given as a run does; mend them, or drop --input and --inputs to list the steps"

// list prints the steps of pb (--list), after checking the inputs given
// with --input and --inputs as a run checks them: a name the playbook does
// not declare, a value not of its input's type or outside its rules, an
// input given twice. An input left out is not asked for: nothing runs.
// Unchecked, `--list --input nosuch=1` would list the steps and exit 0,
// and the mistake would wait for the run.
func (r *runner) list(reg *ops.Registry, pb *steps.Playbook) int {
	e, o := r.e, r.o
	req, code, ok := r.request(pb, nil)
	if !ok {
		return code
	}
	if o.inputsFile != "" {
		var overridden []string
		for k := range req.InputText {
			overridden = append(overridden, k)
		}
		if _, err := steps.LoadInputs(o.inputsFile, pb, overridden...); err != nil {
			if ds := (steps.Diagnostics)(nil); errors.As(err, &ds) {
				r.gh.diagnostics(ds)
				e.problems(ds, listTail)
				return ExitUsage
			}
			e.say(fmt.Sprintf("--inputs %s: %v\n%s\n", o.inputsFile, err, listTail))
			return ExitUsage
		}
	}
	if _, err := engine.New(reg).Plan(pb).ParseInputs(req.InputText); err != nil {
		e.say(fmt.Sprintf("%s: %v\n%s\n", r.path, err, listTail))
		return ExitUsage
	}
	writeStepList(e.stdout, pb, e.paletteFor(e.stdout))
	return ExitOK
}
