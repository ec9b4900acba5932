// Package report defines the run report: a versioned JSON format of its own,
// independent of the engine's internal types, so that CI systems, dashboards
// and `arsenal-run report show` can read reports written by any release that
// shares the major FormatVersion.
package report

import "time"

// FormatVersion is the report_version this package writes. A change that
// removes or retypes a field increments it.
const FormatVersion = "1"

// Status is the outcome of a run, step or item.
type Status string

// The statuses. A run ends succeeded, failed or cancelled; a step or item
// ends in any of the five step statuses.
const (
	StatusSucceeded Status = "succeeded"
	StatusFailed    Status = "failed"
	StatusSkipped   Status = "skipped"
	StatusDenied    Status = "denied"
	StatusCancelled Status = "cancelled"

	// A live run's snapshot (see pkg/runs) shows the run and its
	// started steps running, and a run waiting for its place queued; a
	// finished report has neither.
	statusRunning Status = "running"
	statusQueued  Status = "queued"

	// The report a store keeps of a run whose process died before it
	// finished (see pkg/history) says interrupted.
	statusInterrupted Status = "interrupted"
)

// Report is the record of one run.
type Report struct {
	ReportVersion string         `json:"report_version"`
	RunID         string         `json:"run_id"`
	ResumedFrom   string         `json:"resumed_from,omitempty"`
	Playbook      Playbook       `json:"playbook"`
	Roles         []string       `json:"roles"`
	Inputs        map[string]any `json:"inputs"`
	Status        Status         `json:"status"`
	DryRun        bool           `json:"dry_run,omitempty"`
	StartedAt     time.Time      `json:"started_at"`
	FinishedAt    time.Time      `json:"finished_at"`
	DurationMS    int64          `json:"duration_ms"`
	Steps         []Step         `json:"steps"`
	Outputs       map[string]any `json:"outputs"`
	Error         *Error         `json:"error,omitempty"`
	// OutputErrors names outputs that could not be computed.
	OutputErrors map[string]string `json:"output_errors,omitempty"`
	// Signature is the hex HMAC-SHA256 of the rest of the report, keyed by
	// the state directory's report key (see Sign); "" when the run had no
	// state directory.
	Signature string `json:"signature,omitempty"`
	// KeyID names the report key that signed it (see KeyID), so that a
	// report signed before the key was replaced is told apart from one
	// changed since it was written; "" in reports signed before it was
	// recorded.
	KeyID string `json:"key_id,omitempty"`
	// OutputBudget says what the run cut from its operations' outputs to
	// stay within its budget; absent when nothing was cut.
	OutputBudget *OutputBudget `json:"output_budget,omitempty"`
	// AttemptBudget says what the run cut from its tries' error
	// messages to stay within its budget for them; absent when nothing
	// was cut.
	AttemptBudget *AttemptBudget `json:"attempt_budget,omitempty"`
	// Warnings are what was found wrong with the run as a whole before
	// it started, such as a playbook's file changed since the server
	// loaded it: the run ran the text loaded then.
	Warnings []string `json:"warnings,omitempty"`
}

// OutputBudget is the account of a run's output budget: outputs recorded
// once it was spent keep only their numbers, booleans, short strings and
// the tail of longer ones.
type OutputBudget struct {
	LimitBytes int64 `json:"limit_bytes"`
	KeptBytes  int64 `json:"kept_bytes"`
	CutOutputs int64 `json:"cut_outputs"`
	CutBytes   int64 `json:"cut_bytes"`
}

// AttemptBudget is the account of a run's budget for its tries' error
// messages: once it was spent, a try's message keeps the head of its
// first line only.
type AttemptBudget struct {
	LimitBytes  int64 `json:"limit_bytes"`
	KeptBytes   int64 `json:"kept_bytes"`
	CutMessages int64 `json:"cut_messages"`
	CutBytes    int64 `json:"cut_bytes"`
}

// OperationPath begins the Path of an operation executed alone:
// "operation shell.exec".
const OperationPath = "operation "

// Playbook identifies what ran.
//
// Path is the playbook's file as it was given, or, for an operation
// executed alone (the API's execute), OperationPath and the operation's
// name: no file.
type Playbook struct {
	Name   string `json:"name"`
	Path   string `json:"path"`
	SHA256 string `json:"sha256"`
}

// Step is the record of one step.
type Step struct {
	ID         string     `json:"id"`
	Name       string     `json:"name,omitempty"`
	Op         string     `json:"op"`
	Section    string     `json:"section"`
	Status     Status     `json:"status"`
	Reason     string     `json:"reason,omitempty"`
	StartedAt  *time.Time `json:"started_at,omitempty"`
	DurationMS int64      `json:"duration_ms"`
	Attempts   int        `json:"attempts"`
	// AttemptLog has one entry per try, with its own timing and error,
	// when there was more than one; of a step or item tried more than 50
	// times, the first 10 and the last 40 (engine.AttemptLogFirst and
	// AttemptLogLast).
	AttemptLog []Attempt `json:"attempt_log,omitempty"`
	// AttemptsOmitted counts the tries AttemptLog leaves out, between its
	// first and last; AttemptsOmittedFailed, those of them that failed
	// (or were denied). Attempts is the total, those left out included.
	AttemptsOmitted       int    `json:"attempts_omitted,omitempty"`
	AttemptsOmittedFailed int    `json:"attempts_omitted_failed,omitempty"`
	Output                any    `json:"output,omitempty"`
	Error                 *Error `json:"error,omitempty"`
	Items                 []Item `json:"items,omitempty"`
	// ItemCounts are a fan-out's items by status: the totals, also when
	// the items themselves are recorded in part. Every fan-out has them,
	// empty ({}) for one whose foreach gave no item: that tells it from a
	// step without foreach (nil, left out).
	ItemCounts map[Status]int `json:"item_counts,omitzero"`
	// Cut says what the step's record lost to the run's limits.
	Cut *Cut `json:"cut,omitempty"`
	// Rescued is set on a step that failed when its rescue steps all
	// succeeded: its failure did not stop the run.
	Rescued bool `json:"rescued,omitempty"`
	// Ignored is set on a step that failed when its continue_on_error let
	// the run go on (and no rescue recovered it): it stays failed, with
	// its error, but its failure is not the run's.
	Ignored bool `json:"ignored,omitempty"`
	// RescueOf names the step a rescue step (section rescue) belongs to.
	RescueOf string `json:"rescue_of,omitempty"`
	// Notification says, of a notify: entry that was to be sent, who got
	// its message; nil for other steps and for an entry skipped.
	Notification *Notification `json:"notification,omitempty"`
	// Reused is set on a resumed run for a step whose recorded output was
	// taken from the earlier run instead of executing it again.
	Reused bool `json:"reused,omitempty"`
	// Cached is set when the step's output came from the result cache
	// (the step's cache: setting) instead of running the operation;
	// CacheAgeMS is how old the entry was.
	Cached     bool  `json:"cached,omitempty"`
	CacheAgeMS int64 `json:"cache_age_ms,omitempty"`
	// Definition is a hash of the step's definition; resuming compares it
	// to decide whether a recorded output still stands for the step.
	Definition string `json:"definition,omitempty"`
	// ParamsSHA256 is a hash of the step's resolved parameters (of every
	// item's, for a fan-out), secrets masked; a resumed run reuses the
	// step only if its parameters resolve to the same.
	ParamsSHA256 string `json:"params_sha256,omitempty"`
	// Abandoned is set when the operation ignored cancellation and was left
	// running after the grace period.
	Abandoned bool `json:"abandoned,omitempty"`
	// Authorization records the decision that allowed or denied the step.
	Authorization *Decision `json:"authorization,omitempty"`
	// Confirmation is the answer to the step's confirm: question, when a
	// person answered it.
	Confirmation *Confirmation `json:"confirmation,omitempty"`
	// Sub is the run of a sub-playbook started by playbook.run; with a
	// fan-out, each item's run is in Subs, by item index.
	Sub  *SubRun   `json:"sub,omitempty"`
	Subs []*SubRun `json:"subs,omitempty"`
}

// Cut says what a step's record lost to the run's limits.
type Cut struct {
	// Outputs of the step or its items were kept compact, over the run's
	// output budget; together they lost Bytes bytes.
	Outputs int   `json:"outputs,omitempty"`
	Bytes   int64 `json:"bytes,omitempty"`
	// Items past the first ReportItemsInFull were recorded without their
	// item value and output when they succeeded, and with both compacted
	// when they did not.
	Items int `json:"items,omitempty"`
}

// SubRun is a sub-playbook's run nested in its parent's report.
type SubRun struct {
	RunID    string         `json:"run_id"`
	Playbook Playbook       `json:"playbook"`
	Status   Status         `json:"status"`
	Steps    []Step         `json:"steps"`
	Outputs  map[string]any `json:"outputs,omitempty"`
	// OutputErrors names the sub-playbook's outputs that could not be
	// computed, which the parent read as null, and why.
	OutputErrors map[string]string `json:"output_errors,omitempty"`
	Error        *Error            `json:"error,omitempty"`
}

// Attempt is one try of a step or item. Status is how the try ended
// (succeeded, failed, denied or cancelled; a report written before it was
// recorded has none, and its Error's class says it). ExitCode is the
// exit code of the process the try ran, when its operation reports one
// (shell.exec, ssh.exec). Reason says why a try that succeeded was not
// the last: the retry.until or repeat.until it left false. Error's
// message is cut to MaxAttemptMessage (the step's or item's own error
// keeps its last try's in full).
type Attempt struct {
	Attempt    int       `json:"attempt"`
	StartedAt  time.Time `json:"started_at"`
	DurationMS int64     `json:"duration_ms"`
	Status     Status    `json:"status,omitempty"`
	ExitCode   *int      `json:"exit_code,omitempty"`
	Reason     string    `json:"reason,omitempty"`
	Error      *Error    `json:"error,omitempty"`
}

// Item is one fan-out item of a step.
type Item struct {
	Index      int        `json:"index"`
	Item       any        `json:"item"`
	Label      string     `json:"label,omitempty"` // for people: a matrix item's values, a host's name, a map item's string name, or a string item
	Status     Status     `json:"status"`
	Reason     string     `json:"reason,omitempty"`
	StartedAt  *time.Time `json:"started_at,omitempty"`
	DurationMS int64      `json:"duration_ms"`
	Attempts   int        `json:"attempts"`
	AttemptLog []Attempt  `json:"attempt_log,omitempty"`
	// AttemptsOmitted and AttemptsOmittedFailed: as for a Step, per item.
	AttemptsOmitted       int    `json:"attempts_omitted,omitempty"`
	AttemptsOmittedFailed int    `json:"attempts_omitted_failed,omitempty"`
	Output                any    `json:"output,omitempty"`
	Error                 *Error `json:"error,omitempty"`
	// Cached and CacheAgeMS: as for a Step, per item.
	Cached     bool  `json:"cached,omitempty"`
	CacheAgeMS int64 `json:"cache_age_ms,omitempty"`
	// Authorization is the decision that denied the item, when one did
	// (its role's scope refused the item's params when it ran); absent
	// for an item its step's decision allowed.
	Authorization *Decision `json:"authorization,omitempty"`
}

// Error is a failure with its class.
type Error struct {
	Class   string `json:"class"`
	Message string `json:"message"`
}

// Confirmation is the answer a person gave to a step's confirm: question.
type Confirmation struct {
	Question string    `json:"question"`
	Answer   string    `json:"answer"`       // yes or no
	By       string    `json:"by,omitempty"` // who answered, when the front end knows
	At       time.Time `json:"at"`
}

// Decision is an authorization decision.
type Decision struct {
	Allowed bool   `json:"allowed"`
	Rule    string `json:"rule"`
	Via     string `json:"via,omitempty"` // "direct" or the delegating playbook grant
	// DeniedWhenRun is set on a call whose operation Rule allowed but
	// whose params, known only when it ran (a path from ${{ }}, a
	// fan-out's item), the role's scope refused: a file root, a host, an
	// address. Allowed is then false and Refusal says what refused it.
	// Reports written before it was recorded keep allowed: true beside
	// the step's authorization error (see RefusedWhenRan).
	DeniedWhenRun bool   `json:"denied_when_run,omitempty"`
	Refusal       string `json:"refusal,omitempty"`
}
