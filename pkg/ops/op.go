// Package ops defines what an operation is, the schema of its parameters, and
// the Registry that holds the operations a playbook or the API may call.
//
// An operation implements one method, Execute. Everything else an operation
// may offer (checks on its parameters beyond the schema, a risk level that
// depends on its parameters, run-time authorization, cleanup) is a separate
// small interface that the Registry looks for once, when the operation is
// registered.
package ops

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"time"
)

// Op is an operation. Execute runs it with parameters that have already been
// checked against the operation's Spec (types, required, enums, bounds) and
// completed with defaults. It must honour ctx: when ctx is done it returns
// promptly. The returned map is the step's output; it must hold only plain
// data (maps, slices, strings, numbers, bools, nil).
type Op interface {
	Execute(ctx context.Context, p Params) (map[string]any, error)
}

// Stopper is an operation that may take longer than the engine's grace to
// return once its context is done, by design: a program given a
// kill_grace to shut down in. StopTime says how long, for these
// parameters (0: no longer than any operation); the engine waits that
// long, and its grace after it, before it abandons the operation.
type Stopper interface {
	StopTime(p Params) time.Duration
}

// Func adapts a function to the Op interface.
type Func func(ctx context.Context, p Params) (map[string]any, error)

// Execute calls f.
func (f Func) Execute(ctx context.Context, p Params) (map[string]any, error) { return f(ctx, p) }

// ParamValidator is implemented by operations whose parameters need checks the
// schema cannot express, such as two parameters that exclude each other. It is
// called at load time, with final false when a value still holds an
// expression (it is Deferred, and so is one the schema refused) and true
// when every parameter is a literal, and with every parameter at run time
// with final true (false again when the schema refused some). A check that
// needs the host the step runs on (a user lookup) belongs in Execute, as
// validate may run on another host.
type ParamValidator interface {
	ValidateParams(p Params, final bool) error
}

// FileParamChecker is implemented by operations with a parameter that
// names a file they parse, like the inventory of cluster.health. When such
// a parameter is written literally in a playbook and names a file in the
// playbook's directory tree, loading the playbook reads the file and
// reports what CheckFileParam returns, so that validate finds the problems
// a run would meet only when the step starts.
type FileParamChecker interface {
	// FileParams names the parameters.
	FileParams() []string
	// CheckFileParam checks data, the content of the file named file (as
	// messages show it) that param names. Its error locates each
	// problem as file:line:col.
	CheckFileParam(param, file string, data []byte) error
}

// RiskAssessor is implemented by operations whose risk depends on their
// parameters, like an HTTP request whose method decides whether it only
// reads. It is given the literal parameters; when a deciding parameter is
// still an expression it must answer with the highest risk the operation has.
type RiskAssessor interface {
	RiskFor(p Params) Risk
}

// RiskExplainer is implemented by a RiskAssessor whose risk can rise for a
// reason a reader of the step would not see: a GET that is a write because
// a header asks the server for DELETE. RiskReason is given the params
// RiskFor was given and says, as a clause a denial can follow with "because",
// why the risk is above what the step seems to ask and what to change; ""
// when there is nothing more to say than the risk.
type RiskExplainer interface {
	RiskReason(p Params) string
}

// CacheKeyer is implemented by operations whose answer depends on more
// than their parameters, on something a caller can change between runs:
// a plugin's answer depends on the environment variables its manifest
// passes it. The result cache puts what CacheKey returns (plain data) in
// the key of each call, so that a run in another environment does not
// get an answer made for this one. environ is the environment the
// operation's processes would inherit, as ops.Call.Environ (nil: the
// process's own).
type CacheKeyer interface {
	CacheKey(environ []string) any
}

// Risk says how much an operation can change: a read changes nothing, a write
// changes state that can be written back, a destructive operation cannot be
// undone.
type Risk string

// The risk levels, from least to most dangerous.
const (
	RiskRead        Risk = "read"
	RiskWrite       Risk = "write"
	RiskDestructive Risk = "destructive"
)

// Rank orders risk levels: read < write < destructive. An unknown level ranks
// highest, so a mistake never lowers a requirement.
func (r Risk) Rank() int {
	switch r {
	case RiskRead:
		return 0
	case RiskWrite:
		return 1
	default:
		return 2
	}
}

// Field describes one field of an operation's output.
type Field struct {
	Name        string `json:"name"`
	Type        string `json:"type"`
	Description string `json:"description,omitempty"`
}

// Spec describes an operation: its name, what it does, the parameters it
// takes, how risky it is and what it returns.
type Spec struct {
	// Name is "category.verb", lower case.
	Name        string
	Description string
	Params      []Param
	// OpenParams lets the operation accept keys that Params does not name;
	// they are passed through unchecked (control.set).
	OpenParams bool
	Risk       Risk
	Output     []Field
	// SecretOutputs names output fields whose values are masked wherever the
	// run writes them.
	SecretOutputs []string
	// StreamsOutput says the operation writes the live output of a process
	// to Call.Output (and Call.ErrOutput); the engine sets those writers
	// only for such operations.
	StreamsOutput bool
	// Unsandboxed says the operation starts a program on this host that
	// no sandbox holds (a plugin's): a role that requires a sandbox
	// (require_sandbox) may not run it.
	Unsandboxed bool
	// Perishable says what the output names that other programs change
	// while nothing runs, such as "running processes": a resumed run,
	// which may come hours later, runs such a step again instead of
	// reusing its output, whose pids may since belong to other processes.
	// Only for read operations, which running again cannot harm.
	Perishable string
	// Immediate says the operation never blocks: it returns at once,
	// waiting on nothing (no I/O but the run's log and events, no timer,
	// channel, context or lock that another may hold for long). The
	// engine then calls it in the step's own goroutine rather than in one
	// of its own: it turns a panic into the same system error, but never
	// abandons the call, which an operation that cannot block has no
	// need of. Set it only for an operation whose code shows it (the
	// control.* ones but control.sleep); an operation that blocks while
	// it says it does not holds its run past the step's timeout and a
	// cancellation.
	Immediate bool
}

// Category is the part of the name before the dot.
func (s *Spec) Category() string {
	c, _, _ := strings.Cut(s.Name, ".")
	return c
}

// Param returns the parameter called name, or nil.
func (s *Spec) Param(name string) *Param {
	for i := range s.Params {
		if s.Params[i].Name == name {
			return &s.Params[i]
		}
	}
	return nil
}

var nameRE = regexp.MustCompile(`^[a-z][a-z0-9_]*\.[a-z][a-z0-9_]*$`)

func (s *Spec) check() error {
	if !nameRE.MatchString(s.Name) {
		return fmt.Errorf("op name %q: want category.verb in lower case letters, digits and _", s.Name)
	}
	switch s.Risk {
	case RiskRead, RiskWrite, RiskDestructive:
	default:
		return fmt.Errorf("op %s: risk %q: want read, write or destructive", s.Name, s.Risk)
	}
	if s.Perishable != "" && s.Risk != RiskRead {
		// A resumed run would do it again.
		return fmt.Errorf("op %s: only a read operation may be Perishable, not a %s one", s.Name, s.Risk)
	}
	seen := map[string]bool{}
	for _, p := range s.Params {
		if p.Name == "" || seen[p.Name] {
			return fmt.Errorf("op %s: parameter %q is empty or declared twice", s.Name, p.Name)
		}
		seen[p.Name] = true
		if !p.Type.valid() {
			return fmt.Errorf("op %s: parameter %s: unknown type %q", s.Name, p.Name, p.Type)
		}
		if p.Default != nil {
			// ValidateParams fills a default in without a second look, so a
			// default that does not convert would reach the operation as nil.
			if err := p.checkDefault(); err != nil {
				return fmt.Errorf("op %s: parameter %s: %w", s.Name, p.Name, err)
			}
		}
	}
	return nil
}

// Lapsing is an optional interface of an Op whose output stands for
// something that may end while nothing runs, as the process that
// process.start started: a resumed run reuses such a step's output only
// while Lapsed finds it still there, and runs the step again otherwise.
type Lapsing interface {
	// Lapsed says why out, the output the step had when it succeeded,
	// no longer holds, as "the process it started, pid 4242, has
	// ended"; "" while it does.
	Lapsed(ctx context.Context, out map[string]any) string
}
