package cli

import (
	"github.com/arsenal-run/arsenal-run/pkg/engine"
	"github.com/arsenal-run/arsenal-run/pkg/ops"
	"github.com/arsenal-run/arsenal-run/pkg/ops/builtin"
	"github.com/arsenal-run/arsenal-run/pkg/ops/proc"
)

// NewRegistry builds the registry of operations every command uses. It is
// the one place operations are wired; nothing registers itself from init.
// The caller closes the registry when done.
func NewRegistry() (*ops.Registry, error) { return newRegistry(builtin.Options{}) }

// newRegistry builds the registry with the given options for the built-in
// operations (serve shares one supervisor with its API).
func newRegistry(opt builtin.Options) (*ops.Registry, error) {
	r := ops.NewRegistry()
	if err := builtin.Register(r, opt); err != nil {
		return nil, err
	}
	// playbook.run runs sub-playbooks through the engine of the run that
	// calls it; this engine serves only calls made outside a run.
	if err := engine.RegisterPlaybookOp(engine.New(r)); err != nil {
		r.Close()
		return nil, err
	}
	return r, nil
}

// registry builds the registry through the env, so tests can swap it, and
// adds the plugins. On failure it returns nil and the exit code.
func (e *env) registry() (*ops.Registry, int) {
	r, err := e.newRegistry()
	return e.withPlugins(r, err)
}

// daemonRegistry builds the registry of serve and schedule, whose
// process.start places processes in sup, and adds the plugins. On
// failure it returns nil and the exit code.
func (e *env) daemonRegistry(sup *proc.Supervisor) (*ops.Registry, int) {
	r, err := newRegistry(builtin.Options{Supervisor: sup, OutputMemory: e.outputMemory()})
	return e.withPlugins(r, err)
}

// withPlugins adds the plugins to r, a registry just built (err its
// error), with the output memory --max-output-memory gave, or says why
// there is none and returns the exit code.
func (e *env) withPlugins(r *ops.Registry, err error) (*ops.Registry, int) {
	if err != nil {
		e.errorf("cannot set up the operations: %v", err)
		return nil, ExitFailed
	}
	if n := e.outputMemory(); n > 0 {
		r.OutputMemory().SetLimit(n)
	}
	if code := e.loadPlugins(r); code != ExitOK {
		r.Close()
		return nil, code
	}
	return r, ExitOK
}
