package ops

import (
	"context"
	"io"
	"os"

	"github.com/rs/zerolog"
)

// Call is what an operation may know about the step that runs it. The engine
// puts it in the context; operations read it with CallFrom.
type Call struct {
	RunID    string
	Playbook string // the name of the playbook the step belongs to
	Step     string // the step id; with a fan-out, "id[index]"
	Attempt  int
	// Log is the step's logger; it carries run_id, step and op and masks
	// secrets.
	Log zerolog.Logger
	// Output, when set, receives the live output of a process the op runs
	// (already masked for secrets), line by line.
	Output io.Writer
	// Dir is the directory relative paths are resolved against: the
	// directory of the playbook file.
	Dir string
	// Literal, when set, tells the parameters the step writes as literal
	// values in the playbook rather than expressions, so that a value a
	// caller's inputs choose is told from one the playbook fixes; nil
	// means none is literal. Operations ask IsLiteral.
	Literal LiteralParams
	// Scope carries the caller's authorization scope (file roots, networks);
	// operations that check their params against it read it with a type
	// assertion to the authorization package's type.
	Scope any
	// Secrets are the values masked wherever the run writes.
	Secrets []string
	// Message, when set, publishes a message of the operation to the run's
	// event stream as a log event at level (debug, info, warn or error);
	// control.log uses it. The run masks it for secrets. It may be called
	// after the op has returned, while the run goes on (the supervisor
	// tells of a restart of a process the step started); once the run has
	// finished it does nothing.
	Message func(level, text string)
	// ErrOutput, when set, receives the live stderr lines of a process the
	// op runs; stdout lines go to Output. When nil both go to Output.
	ErrOutput io.Writer
	// Environ is the host environment the run may pass on to the processes
	// it starts, as KEY=value; nil means the process's own. A server gives
	// its callers only an allow-listed part of its environment.
	Environ []string
	// FileEnv are the entries of the run's environment (Environ) that
	// the env_file files of the playbook, or of the playbooks that called
	// it, set (the host environment does not), as KEY=value: a process the
	// op starts gets them unless its step's env sets the name, so what
	// they make it load is judged as the step's env is
	// (policy.SwappableFileEnv). FileEnvAt, when set, says where the files
	// set a name, as "FILE:LINE", for an error.
	FileEnv   []string
	FileEnvAt func(name string) string
	// RefuseSwappable refuses the local files the op installs elsewhere
	// (a template, the source of a copy, an upload or an extraction), and
	// the programs and scripts it runs by path (policy.SwappableProgram),
	// when a user of the host other than this process's and root could
	// change them or put a file of their own in their place: set for the
	// runs of serve and schedule, whose roles those files' writers may
	// not have (engine.RefuseSwappable).
	RefuseSwappable bool
}

// LiteralParams are the parameters a step writes as literal values:
// LiteralParam returns a parameter's value and true when the step writes
// it so. The engine gives the step itself, no function made for the call.
type LiteralParams interface {
	LiteralParam(name string) (any, bool)
}

// IsLiteral reports whether the step writes parameter name as a literal
// value in the playbook (Literal); false when the call does not say.
func (c *Call) IsLiteral(name string) bool {
	if c.Literal == nil {
		return false
	}
	_, ok := c.Literal.LiteralParam(name)
	return ok
}

// Environ returns the environment a process started by the op in ctx
// inherits: the run's, or the process's own outside a run.
func Environ(ctx context.Context) []string {
	if c := CallFrom(ctx); c.Environ != nil {
		return c.Environ
	}
	return os.Environ()
}

type callKey struct{}

// WithCall returns ctx carrying c.
func WithCall(ctx context.Context, c *Call) context.Context {
	return context.WithValue(ctx, callKey{}, c)
}

var noCall = &Call{Log: zerolog.Nop()}

// CallFrom returns the Call in ctx, or an empty one with a logger that
// discards everything.
func CallFrom(ctx context.Context) *Call {
	if c, ok := ctx.Value(callKey{}).(*Call); ok {
		return c
	}
	return noCall
}
