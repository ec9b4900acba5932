package engine

import (
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"

	"github.com/arsenal-run/arsenal-run/pkg/ops"
	"github.com/arsenal-run/arsenal-run/pkg/steps"
)

// Environ returns the environment a run of the plan sees: given (the
// process's own when nil) with the variables of the playbook's env_file
// files added for the names it does not set. The files are read now, so a
// run sees them as they are when it starts; one that no longer reads is a
// validation error.
func (p *Plan) Environ(given []string) ([]string, error) {
	environ, _, err := p.environ(given, nil, nil)
	return environ, err
}

// environ is Environ for a run whose callers' env files set inherited:
// the playbook's own files override those (a sub-playbook sees what its
// env files say, called or not), and neither overrides host. It returns
// also the variables of all those files, for the run's sub-runs. The
// files are read only inside roots unless they are nil (see
// runOptions.inputRoots); one outside them is a denial.
func (p *Plan) environ(host []string, inherited map[string]string, roots []string) ([]string, map[string]string, error) {
	if host == nil {
		host = os.Environ()
	}
	if p.e.refuseSwaps {
		if err := steps.SwappableEnvFiles(p.pb); err != nil {
			return nil, nil, ops.WithClass(ops.ClassValidation, err)
		}
	}
	vars, err := steps.ReadEnvFilesIn(p.pb, roots)
	if err != nil {
		if roots != nil && errors.Is(err, ops.ErrDenied) {
			return nil, nil, ops.WithClass(ops.ClassAuthorization, fmt.Errorf("%w%s", err, outsideRootsHint("env_file")))
		}
		return nil, nil, ops.WithClass(ops.ClassValidation, err)
	}
	if len(inherited) > 0 {
		all := maps.Clone(inherited)
		maps.Copy(all, vars)
		vars = all
	}
	return steps.MergeEnviron(host, vars), vars, nil
}

// runEnviron sets the environment of a run of p in o: the host
// environment (o.hostEnv, which a sub-run inherits; else o.environ as
// given, else the process's own) with the variables of p's env files and
// of those of the runs that started it (o.fileVars). p's env files are
// read only inside o.inputRoots unless they are nil.
func (p *Plan) runEnviron(o *runOptions) error {
	if o.hostEnv == nil {
		o.hostEnv = o.environ
		if o.hostEnv == nil {
			o.hostEnv = os.Environ()
		}
	}
	environ, vars, err := p.environ(o.hostEnv, o.fileVars, o.inputRoots)
	if err != nil {
		return err
	}
	o.environ, o.fileVars = environ, vars
	if len(p.pb.EnvFiles) > 0 {
		o.envFiles = append(slices.Clip(o.envFiles), envFileSource{p.pb, o.inputRoots})
	}
	// MergeEnviron adds the files' variables after the host's entries.
	o.fileEnv, o.fileAt = environ[len(o.hostEnv):], nil
	if len(o.fileEnv) > 0 {
		o.fileAt = envFileAt(o.envFiles)
	}
	return nil
}

// envFileSource is a playbook whose env files a run read, and the roots
// it read them in (nil: the playbook's tree).
type envFileSource struct {
	pb    *steps.Playbook
	roots []string
}

// envFileAt returns where the env files of srcs set a name, as
// "FILE:LINE" with FILE joined to its playbook's directory: the last
// playbook's files win over its callers', as in runEnviron. The files are
// read again, only for an error.
func envFileAt(srcs []envFileSource) func(name string) string {
	return func(name string) string {
		for i := len(srcs) - 1; i >= 0; i-- {
			if where, _, ok := steps.EnvFileSetting(srcs[i].pb, name, srcs[i].roots); ok {
				return filepath.Join(srcs[i].pb.Dir, where)
			}
		}
		return "an env file"
	}
}

// readEnv is the environment the run's expressions (env.NAME) and its
// inputs' env: read: the host's with the env files' variables, or, in a
// sub-run confined to the caller's file roots (inputRoots), the variables
// of the env files it read there alone. Such a sub-playbook may be one the
// caller wrote, and the host's environment is the runner's: a server's
// passed-through webhook or database password would come back in its
// outputs. Its processes still get the host's environment (o.environ), as
// a process the caller's roles let them start outside a playbook would.
func (o *runOptions) readEnv() []string {
	if o.inputRoots == nil {
		return o.environ
	}
	env := make([]string, 0, len(o.fileVars))
	for _, k := range slices.Sorted(maps.Keys(o.fileVars)) {
		env = append(env, k+"="+o.fileVars[k])
	}
	return env
}

// noHostEnvHint says why env.NAME reads null in a sub-run that reads no
// host variable (see readEnv), and what to do.
const noHostEnvHint = "this sub-playbook lies outside the directory tree of the playbook that runs it, " +
	"so env holds only the variables of its own env files, not arsenal-run's environment: " +
	"pass the value in the playbook.run step's inputs, or put the sub-playbook beside the calling playbook"

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

// environ makes a map of an environment of KEY=value entries (the
// process's own when nil), the env of expressions. Its values are typed
// any, not string, so that a variable that is not set reads as null, as a
// missing output field does: "" would slip past the null check of a
// step's env (rm -rf "$TARGET/") and past a ?? default.
func environ(env []string) map[string]any {
	if env == nil {
		env = os.Environ()
	}
	if m := envMemo.Load(); m != nil && slices.Equal(m.list, env) {
		return m.vars
	}
	out := make(map[string]any, len(env))
	for _, kv := range env {
		if k, v, ok := strings.Cut(kv, "="); ok {
			out[k] = v
		}
	}
	envMemo.Store(&envMap{list: slices.Clone(env), vars: out})
	return out
}

// envMemo is the last environment environ made a map of: the runs of a
// process mostly see the same one, and comparing it costs less than
// building the map again. The map is only ever read (expressions cannot
// write to it), so runs share it.
var envMemo atomic.Pointer[envMap]

type envMap struct {
	list []string
	vars map[string]any
}
