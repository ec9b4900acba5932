package steps

import (
	"fmt"
	"time"

	"github.com/arsenal-run/arsenal-run/internal/yamlx"
	"github.com/arsenal-run/arsenal-run/pkg/ops"
)

// Version is the playbook format version this package reads.
const Version = 1

// Playbook is a loaded and validated playbook. It is immutable after Load
// returns and safe to share between concurrent runs.
type Playbook struct {
	File string // the path it was loaded from, as given
	Dir  string // the directory relative paths are resolved against
	// AbsFile is File made absolute once, at load, for what records the
	// playbook's path on every run (history rows, slots, /healthz); ""
	// for a playbook built in memory (an operation executed alone). See
	// AbsPath.
	AbsFile     string
	SHA256      string // of the file's bytes
	Version     int
	Name        string
	NamePos     Pos // of the name: key, for messages about the name; zero when unknown
	Description string
	Timeout     time.Duration // 0 = none
	Inputs      []*Input
	Vars        []*Var
	Env         []*EnvVar
	// EnvFiles are dotenv files whose variables join the run's
	// environment; see ReadEnvFiles.
	EnvFiles []*EnvFile
	Schedule *Schedule
	// MaxParallel caps how many of the playbook's steps run at once; 0
	// leaves the engine's default.
	MaxParallel int
	// Concurrency keeps runs of the same group from overlapping; nil
	// when the playbook sets none.
	Concurrency *Concurrency
	// RetryOnNodeLoss lets a run that was queued on a shared store be run
	// again from the start when the process running it died mid-run.
	// Off by default: a half-run runbook may not be safe to repeat.
	RetryOnNodeLoss bool
	Steps           []*Step
	OnSuccess       []*Step
	OnFailure       []*Step
	OnCancel        []*Step
	Finally         []*Step
	// Notify are the steps of the notify: block, one per entry, run
	// after finally when the run ends in one of their outcomes.
	Notify  []*Step
	Outputs []*Output
	// Inventory are the playbook's calls of inventory.hosts, in the order
	// found; see CheckInventory.
	Inventory []InventoryRef
	// Warnings are what validation found suspicious without refusing the
	// playbook, sorted by position; front ends print them.
	Warnings Diagnostics
	// derived is what runners keep of it (see Derived).
	derived *derived
}

// NameLocation is where p's name: key is, as file:line:column, or the
// file alone when that is not known (a playbook built in code).
func (p *Playbook) NameLocation() string {
	if p.NamePos.Line == 0 {
		return p.File
	}
	return fmt.Sprintf("%s:%d:%d", p.File, p.NamePos.Line, p.NamePos.Col)
}

// AbsPath is the playbook's path as the history and /healthz record it:
// AbsFile, or File for a playbook built in memory.
func (p *Playbook) AbsPath() string {
	if p.AbsFile != "" {
		return p.AbsFile
	}
	return p.File
}

// AllSteps returns every step: those of steps, each followed by its
// rescue steps, then on_success, on_failure, on_cancel, finally and
// notify, in that order.
func (p *Playbook) AllSteps() []*Step {
	out := make([]*Step, 0, len(p.Steps)+len(p.OnSuccess)+len(p.OnFailure)+len(p.OnCancel)+len(p.Finally)+len(p.Notify))
	for _, s := range p.Steps {
		out = append(out, s)
		out = append(out, s.Rescue...)
	}
	out = append(out, p.OnSuccess...)
	out = append(out, p.OnFailure...)
	out = append(out, p.OnCancel...)
	out = append(out, p.Finally...)
	return append(out, p.Notify...)
}

// Step returns the step called id, in any section, or nil.
func (p *Playbook) Step(id string) *Step {
	for _, s := range p.AllSteps() {
		if s.ID == id {
			return s
		}
	}
	return nil
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

// The sections of a playbook, in the order they run. Rescue steps run
// right after the step they rescue, when it failed.
const (
	SectionSteps     Section = "steps"
	SectionRescue    Section = "rescue"
	SectionOnSuccess Section = "on_success"
	SectionOnFailure Section = "on_failure"
	SectionOnCancel  Section = "on_cancel"
	SectionFinally   Section = "finally"
	SectionNotify    Section = "notify"
)

// Handler reports whether the section runs after steps: on_success,
// on_failure, on_cancel, finally or notify.
func (s Section) Handler() bool {
	return s != SectionSteps && s != SectionRescue
}

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
	// ParamPos is where the value of each parameter written under with:
	// is, for messages about one parameter (a literal With keeps none).
	ParamPos map[string]Pos
	// CallerParams says the params came as plain data from a caller who
	// has no way to mark a value secret (an operation executed through
	// the API, see OneStep): the sinks that show params (the audit log,
	// spans) mask the values of env and of headers other than plain ones,
	// as they would a secret's.
	CallerParams bool
	// Risk is the operation's risk for the literal parameters (the highest
	// it can have when a deciding parameter is an expression).
	Risk ops.Risk
	// RiskWhy is what the operation says of why Risk is what it is
	// (ops.RiskExplainer), for a denial to tell; "" when it says nothing.
	RiskWhy string
	When    *Expr
	Foreach *Expr
	// Matrix is a foreach written as {matrix: ...}: the items are the
	// combinations of its axes. At most one of Foreach and Matrix is set.
	Matrix      *Matrix
	Concurrency int  // fan-out items at once; 1 = sequential
	FailFast    bool // the first failed item cancels the rest
	Confirm     *Value
	Retry       Retry
	// Repeat runs a succeeded step again until a condition holds; nil
	// when the step has no repeat.
	Repeat  *Repeat
	Timeout time.Duration // per attempt; 0 = none
	// Needs are the ids this step waits for: as written, or the previous
	// step in the same section when the key is absent.
	Needs           []string
	ContinueOnError bool
	Env             []*EnvVar
	// Rescue are the steps run when this step fails; when they all
	// succeed, the failure is rescued and the run goes on.
	Rescue []*Step
	// RescueOf is the step a rescue step belongs to.
	RescueOf *Step
	// NotifyOn are the outcomes a notify step is sent on: success,
	// failure, cancelled.
	NotifyOn []string
	// NotifySummary are, for a notify step, the run summary's values of
	// the message parameters its operation takes (title, text, fields,
	// link; subject, body), which stand in for the entry's own when they
	// cannot be computed. They read only run.
	NotifySummary map[string]*Value
	// Cache, when set, answers the step from the result cache.
	Cache *Cache // nil: not cached

	// Serial runs a foreach step's items in rolling batches; nil runs them
	// as one.
	Serial *Serial

	needPos []Pos        // where each need is written
	owners  yamlx.Owners // where the step is written, its list's alias included (see within)
	fanout  bool
	sub     *subOutputs // a playbook.run step's sub-playbook, when known
	index   int         // position in the graph's topological order
}

// FanOut reports whether the step runs once per item: it has foreach,
// written as an expression or as a matrix.
func (s *Step) FanOut() bool { return s.Foreach != nil || s.Matrix != nil }

// Retry says how often and when a step is tried again.
type Retry struct {
	Attempts int // total tries, 1..100
	Delay    time.Duration
	Backoff  float64 // multiplier, >= 1
	MaxDelay time.Duration
	Jitter   float64 // fraction 0..1
	When     *Expr   // retry only when true; nil = error class execution or timeout
	Until    *Expr   // a succeeded attempt is retried until true
	// AttemptsExpr, DelayExpr and MaxDelayExpr, when set, give
	// attempts, delay and max_delay from ${{ }} over inputs and vars,
	// evaluated once when the step starts.
	AttemptsExpr *Expr
	DelayExpr    *Expr
	MaxDelayExpr *Expr

	delayPos Pos // where a literal delay is written
}

// Dynamic reports whether some retry setting is computed when the step
// starts.
func (r *Retry) Dynamic() bool {
	return r.AttemptsExpr != nil || r.DelayExpr != nil || r.MaxDelayExpr != nil
}

// Repeat runs a step again, every Every, until Until holds for the last
// attempt's output, for at most Timeout. Unlike retry, it is for waiting
// on something, not for failures: an attempt that fails ends the step.
type Repeat struct {
	Pos   Pos
	Until *Expr // reads output, error and attempt
	Every time.Duration
	// EveryExpr, when set, gives Every from ${{ }} over inputs and vars,
	// evaluated once when the step starts.
	EveryExpr *Expr
	Timeout   time.Duration
}

// DefaultRepeatEvery is the wait between the attempts of a repeat that
// does not say.
const DefaultRepeatEvery = 10 * time.Second

// Matrix is a fan-out over the combinations of named axes, as GitHub
// Actions' strategy.matrix: the cross product of the axes (the first axis
// varies slowest), less the combinations an exclude entry matches, with
// the include entries merged or added. Each item is a map from axis name
// (and included key) to value.
type Matrix struct {
	Pos     Pos
	Axes    []MatrixAxis
	Include *Value // a list of maps; nil when absent
	Exclude *Value // a list of maps; nil when absent
}

// MatrixAxis is one named list of values of a matrix.
type MatrixAxis struct {
	Name   string
	Pos    Pos
	Values *Value // a list
}

// EnvFile is a dotenv file named by env_file.
type EnvFile struct {
	Path string // as written, relative to the playbook's directory
	Pos  Pos
}

// Concurrency keeps runs of one group from overlapping, in this process
// and in others that share the state directory (or, without one, the
// temporary directory).
type Concurrency struct {
	Pos Pos
	// Group names the group; it may read inputs, env and run.playbook.
	// Without one the group is the playbook's name.
	Group  *Value
	Policy string // queue | skip | cancel_running
}

// The concurrency policies: what a run does when its group is busy.
const (
	ConcurrencyQueue         = "queue"
	ConcurrencySkip          = "skip"
	ConcurrencyCancelRunning = "cancel_running"
)

// The outcomes a notify: entry is sent on.
const (
	NotifySuccess   = "success"
	NotifyFailure   = "failure"
	NotifyCancelled = "cancelled"
)

// Input is a typed parameter of a playbook.
type Input struct {
	Name     string
	Pos      Pos
	Type     InputType
	Required bool
	Default  any // converted to Type's Go type; nil = none
	Secret   bool
	Env      string // an environment variable that supplies the value (env: or from_env:)
	// FromFile is a file whose content supplies the value when neither
	// the caller nor Env does; relative to the playbook's directory.
	FromFile    string
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
	JitterText       string        // jitter as written, for messages
	Catchup          string        // none | last
	StartingDeadline time.Duration // 0 = no limit
}
