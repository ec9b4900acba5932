package engine

import (
	"os"
	"strings"

	"github.com/arsenal-run/arsenal-run/pkg/ops"
	"github.com/arsenal-run/arsenal-run/pkg/steps"
)

// Environ returns the environment a run of the plan sees: given (the
// process's own when nil) with the variables of the playbook's env_file
// files added for the names it does not set. The files are read now, so a
// run sees them as they are when it starts; one that no longer reads is a
// validation error.
func (p *Plan) Environ(given []string) ([]string, error) {
	if given == nil {
		given = os.Environ()
	}
	vars, err := steps.ReadEnvFiles(p.pb)
	if err != nil {
		return nil, ops.WithClass(ops.ClassValidation, err)
	}
	return steps.MergeEnviron(given, vars), nil
}

// lookupIn looks a name up in an environment of KEY=value entries; the
// last entry of a name wins, as for a process.
func lookupIn(environ []string) func(string) (string, bool) {
	return func(name string) (string, bool) {
		for i := len(environ) - 1; i >= 0; i-- {
			if k, v, ok := strings.Cut(environ[i], "="); ok && k == name {
				return v, true
			}
		}
		return "", false
	}
}
