package auth

import (
	"encoding/json"
	"fmt"
	"github.com/arsenal-run/arsenal-run/internal/fsroot"
	"os"
	"sync"
	"time"

	"github.com/arsenal-run/arsenal-run/pkg/engine"
	"github.com/arsenal-run/arsenal-run/pkg/ops"
	"github.com/arsenal-run/arsenal-run/pkg/report"
	"github.com/arsenal-run/arsenal-run/pkg/steps"
)

// AuditLog appends one JSON line per executed or denied step. Each line is
// one write to a file opened for appending, so lines from concurrent steps
// or processes never interleave; Close syncs the file, so a crash loses at
// most the lines of the steps in flight. It is safe for concurrent use.
//
// The log fails closed: a line that cannot be written (disk full, the file
// gone read-only) is an error that fails the step it records, rather than
// a gap nobody notices.
type AuditLog struct {
	mu sync.Mutex
	f  *os.File
}

// AuditLine is one record of the audit log.
type AuditLine struct {
	Time       time.Time        `json:"time"`
	RunID      string           `json:"run_id"`
	Playbook   string           `json:"playbook"`
	SHA256     string           `json:"sha256"`
	Roles      []string         `json:"roles"`
	Step       string           `json:"step"`
	Item       *int             `json:"item,omitempty"`
	Op         string           `json:"op"`
	Params     any              `json:"params,omitempty"`
	Outcome    string           `json:"outcome"`
	Error      *report.Error    `json:"error,omitempty"`
	DurationMS int64            `json:"duration_ms"`
	Decision   *report.Decision `json:"decision,omitempty"`
	Who        string           `json:"who,omitempty"`  // who started the run: an OS user, an API key's name, a certificate subject
	From       string           `json:"from,omitempty"` // where from: a host, a client address
	// Action names what a person did that is not a step's call:
	// ActionConfirm, ActionPause or ActionResume. Who and From are then
	// that person, not whoever started the run.
	Action string `json:"action,omitempty"`
	// Question and Answer are a confirm: question and its answer, yes or
	// no.
	Question string `json:"question,omitempty"`
	Answer   string `json:"answer,omitempty"`
}

// The actions of an audit line that records what a person did rather than
// a step's call.
const (
	ActionConfirm = "confirm" // answered a step's confirm: question
	ActionPause   = "pause"   // paused a playbook's schedule
	ActionResume  = "resume"  // resumed it
)

var _ engine.Auditor = (*AuditLog)(nil)

// OpenAudit opens (creating) the audit log at path for appending.
func OpenAudit(path string) (*AuditLog, error) {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("audit log: %w", err)
	}
	// No step may rewrite the record of what steps did.
	fsroot.Protect(path, "audit log")
	return &AuditLog{f: f}, nil
}

// Audit implements engine.Auditor. It returns an error when the line could
// not be written; the engine then fails the step.
func (a *AuditLog) Audit(c *engine.Call, out map[string]any, err error, d time.Duration) error {
	line := AuditLine{
		Time:       time.Now().UTC(),
		RunID:      c.RunID,
		Roles:      c.Roles,
		Step:       c.Step.ID,
		Op:         c.Step.Op,
		Params:     c.MaskedParams(),
		Outcome:    string(report.StatusSucceeded),
		DurationMS: d.Milliseconds(),
		Decision:   c.Decision,
	}
	line.Who, line.From = c.Caller()
	if pb := c.Playbook(); pb != nil {
		line.Playbook, line.SHA256 = pb.File, pb.SHA256
	}
	if c.Index >= 0 {
		i := c.Index
		line.Item = &i
	}
	if err != nil {
		class := ops.ClassOf(err)
		line.Outcome = outcomeOf(class)
		line.Error = &report.Error{Class: string(class), Message: c.MaskString(err.Error())}
	}
	if werr := a.write(&line); werr != nil {
		what := "step " + line.Step
		if line.Item != nil {
			what = fmt.Sprintf("item %d of step %s", *line.Item, line.Step)
		}
		return fmt.Errorf("%s (outcome: %s) could not be audited, so it fails: %w; free space or fix the audit log, and check what the step did", what, line.Outcome, werr)
	}
	return nil
}

func outcomeOf(c ops.Class) string { return string(report.StatusOf(string(c))) }

// Denied records the steps a preflight denied, which never reach the
// engine, with who asked and from where. It returns the first error of a
// line that could not be written.
func (a *AuditLog) Denied(runID string, pb *steps.Playbook, roles []string, who, from string, ds []StepDecision) error {
	var first error
	for _, d := range ds {
		err := a.write(&AuditLine{
			Time: time.Now().UTC(), RunID: runID, Playbook: pb.File, SHA256: pb.SHA256, Roles: roles, Who: who, From: from,
			Step: d.Step, Op: d.Op, Outcome: string(report.StatusDenied),
			Error:    &report.Error{Class: string(ops.ClassAuthorization), Message: d.Decision.Rule},
			Decision: &report.Decision{Allowed: false, Rule: d.Decision.Rule, Via: d.Decision.Via},
		})
		if err != nil && first == nil {
			first = fmt.Errorf("the denial of step %s could not be audited: %w", d.Step, err)
		}
	}
	return first
}

// Action records what a person did besides running steps (see
// AuditLine.Action); Time defaults to now.
func (a *AuditLog) Action(l AuditLine) error {
	if l.Time.IsZero() {
		l.Time = time.Now().UTC()
	}
	return a.write(&l)
}

// write appends one line. A short write is an error too: half a line is
// not a record.
func (a *AuditLog) write(l *AuditLine) error {
	b, err := json.Marshal(l)
	if err != nil {
		return fmt.Errorf("audit log %s: cannot encode the record: %w", a.f.Name(), err)
	}
	b = append(b, '\n')
	a.mu.Lock()
	defer a.mu.Unlock()
	if _, err := a.f.Write(b); err != nil {
		return fmt.Errorf("audit log: %w", err)
	}
	return nil
}

// Close syncs and closes the log.
func (a *AuditLog) Close() error {
	a.mu.Lock()
	defer a.mu.Unlock()
	if err := a.f.Sync(); err != nil {
		a.f.Close()
		return err
	}
	return a.f.Close()
}
