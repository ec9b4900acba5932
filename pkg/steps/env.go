package steps

// These types are what expressions see. They hold plain data only: no
// methods, so an expression cannot call into the runner. The engine fills
// them; their expr tags are the names users write, and their json tags the
// same names, so toJSON and a whole ${{ }} value show them too.

// StepState is steps.<id> in an expression. The engine writes a step's state
// before any step that needs it starts, and never after.
type StepState struct {
	Status   string      `expr:"status" json:"status"`     // succeeded, failed, skipped, denied, cancelled; "" while pending
	Output   any         `expr:"output" json:"output"`     // the operation's output
	Error    ErrorState  `expr:"error" json:"error"`       // empty class and message when none
	Attempts int         `expr:"attempts" json:"attempts"` // tries made
	Duration float64     `expr:"duration" json:"duration"` // seconds
	Reason   string      `expr:"reason" json:"reason"`     // why it was skipped or denied
	Items    []ItemState `expr:"items" json:"items"`       // fan-out results in input order
}

// ItemState is one fan-out item of a step.
type ItemState struct {
	Index  int        `expr:"index" json:"index"`
	Item   any        `expr:"item" json:"item"`
	Status string     `expr:"status" json:"status"`
	Output any        `expr:"output" json:"output"`
	Error  ErrorState `expr:"error" json:"error"`
}

// ErrorState is the error of a step, item or attempt.
type ErrorState struct {
	Class   string `expr:"class" json:"class"`
	Message string `expr:"message" json:"message"`
}

// The run's state is run in an expression: a map with id, playbook, status
// (running, then succeeded, failed or cancelled in on_failure and finally)
// and started_at. In retry expressions, error is a map with class and
// message. Both are maps rather than structs because expr's declared-type
// environment cannot hold struct types at the top level.

// The names of the expression environment.
const (
	EnvInputs  = "inputs"
	EnvVars    = "vars"
	EnvEnv     = "env"
	EnvRun     = "run"
	EnvSteps   = "steps"
	EnvItem    = "item"
	EnvIndex   = "index"
	EnvOutput  = "output"
	EnvError   = "error"
	EnvAttempt = "attempt"
)

var stepFields = []string{"status", "output", "error", "attempts", "duration", "reason", "items"}
var runFields = []string{"id", "playbook", "status", "started_at"}
