package steps

import (
	"time"

	"github.com/arsenal-run/arsenal-run/pkg/ops"
)

// Version is the playbook format version this package reads.
const Version = 1

// Playbook is a loaded and validated playbook. It is immutable after Load
// returns and safe to share between concurrent runs.
type Playbook struct {
	File        string // the path it was loaded from, as given
	Dir         string // the directory relative paths are resolved against
	SHA256      string // of the file's bytes
	Version     int
	Name        string
	Description string
	Timeout     time.Duration // 0 = none
	Inputs      []*Input
	Vars        []*Var
	Env         []*EnvVar
	Schedule    *Schedule
	Steps       []*Step
	OnFailure   []*Step
	Finally     []*Step
	Outputs     []*Output
	// Inventory are the playbook's calls of inventory.hosts, in the order
	// found; see CheckInventory.
	Inventory []InventoryRef
	// Warnings are what validation found suspicious without refusing the
	// playbook, sorted by position; front ends print them.
	Warnings Diagnostics
}

// AllSteps returns steps, on_failure and finally, in that order.
func (p *Playbook) AllSteps() []*Step {
	out := make([]*Step, 0, len(p.Steps)+len(p.OnFailure)+len(p.Finally))
	out = append(out, p.Steps...)
	out = append(out, p.OnFailure...)
	return append(out, p.Finally...)
}

// Input returns the input called name, or nil.
func (p *Playbook) Input(name string) *Input {
	for _, in := range p.Inputs {
		if in.Name == name {
			return in
		}
	}
	return nil
}

// Section says which list of a playbook a step is in.
type Section string

// The sections of a playbook.
const (
	SectionSteps     Section = "steps"
	SectionOnFailure Section = "on_failure"
	SectionFinally   Section = "finally"
)

// Step is one step of a playbook.
type Step struct {
	ID      string
	Pos     Pos
	Section Section
	Name    *Value // display name; may interpolate
	Op      string
	Entry   *ops.Entry // the resolved operation
	// With holds the parameters. When With is not Dynamic, Params holds them
	// already validated against the operation's schema.
	With   *Value
	Params ops.Params
	// Risk is the operation's risk for the literal parameters (the highest
	// it can have when a deciding parameter is an expression).
	Risk        ops.Risk
	When        *Expr
	Foreach     *Expr
	Concurrency int  // fan-out items at once; 1 = sequential
	FailFast    bool // the first failed item cancels the rest
	Confirm     *Value
	Retry       Retry
	Timeout     time.Duration // per attempt; 0 = none
	// Needs are the ids this step waits for: as written, or the previous
	// step in the same section when the key is absent.
	Needs           []string
	ContinueOnError bool
	Env             []*EnvVar

	// Serial runs a foreach step's items in rolling batches; nil runs them
	// as one.
	Serial *Serial

	needPos []Pos // where each need is written
	fanout  bool
	index   int // position in the graph's topological order
}

// Retry says how often and when a step is tried again.
type Retry struct {
	Attempts int // total tries, 1..100
	Delay    time.Duration
	Backoff  float64 // multiplier, >= 1
	MaxDelay time.Duration
	Jitter   float64 // fraction 0..1
	When     *Expr   // retry only when true; nil = error class execution or timeout
	Until    *Expr   // a succeeded attempt is retried until true
}

// Input is a typed parameter of a playbook.
type Input struct {
	Name        string
	Pos         Pos
	Type        InputType
	Required    bool
	Default     any // converted to Type's Go type; nil = none
	Secret      bool
	Env         string // an environment variable that supplies the value
	Description string
	// Constraint holds the input's enum, min, max and pattern. Under a
	// policy grant, an input without one keeps its default.
	Constraint
}

// Var is a named value computed once at the start of a run.
type Var struct {
	Name  string
	Pos   Pos
	Value *Value
}

// EnvVar is an environment variable given to process-starting operations.
type EnvVar struct {
	Name  string
	Pos   Pos
	Value *Value
}

// Output is a value of the run's result.
type Output struct {
	Name  string
	Pos   Pos
	Value *Value
}

// Schedule says when `arsenal-run schedule` starts the playbook.
type Schedule struct {
	Pos              Pos
	Cron             string
	Timezone         string // IANA name; "" = UTC
	Location         *time.Location
	Overlap          string // skip | queue | allow | replace
	Jitter           time.Duration
	Catchup          string        // none | last
	StartingDeadline time.Duration // 0 = no limit
}
