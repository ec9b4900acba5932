package auth

import (
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/arsenal-run/arsenal-run/internal/fsroot"
	"github.com/arsenal-run/arsenal-run/internal/fsx"
	"github.com/arsenal-run/arsenal-run/pkg/engine"
	"github.com/arsenal-run/arsenal-run/pkg/ops"
	"github.com/arsenal-run/arsenal-run/pkg/report"
	"github.com/arsenal-run/arsenal-run/pkg/steps"
)

// AuditLog appends one JSON line per executed or denied step. Whole lines
// go to a file opened for appending in one write, so lines from concurrent
// steps or processes never interleave; Close syncs the file, so a crash
// loses at most the lines of the steps in flight. It is safe for concurrent
// use.
//
// Lines that arrive while a write is under way are gathered and written
// together by the next one (a group write): under many concurrent steps a
// line costs a share of a system call rather than one of its own, and each
// step still waits for its line to be written.
//
// The log fails closed: a line that cannot be written (disk full, the file
// gone read-only) is an error that fails the step it records, rather than
// a gap nobody notices.
type AuditLog struct {
	path  string
	mu    sync.Mutex
	idle  sync.Cond // broadcast when a batch has been written, for Reopen and Close
	f     auditFile
	cur   *auditBatch // the batch being written, the lock released
	torn  bool        // the file ends in part of a line (see writeBatch)
	next  *auditBatch // lines waiting for the next write
	spare []byte      // the buffer of a written batch, for reuse
}

// auditBatch is the lines written in one write, and its outcome: err is
// set before done is closed.
type auditBatch struct {
	buf  []byte
	done chan struct{}
	err  error
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
	// ActionConfirm, ActionCancel, ActionPause, ActionResume, or
	// ActionStart for a run refused before any of its steps was called.
	// Who and From are then that person, not whoever started the run.
	Action string `json:"action,omitempty"`
	// ParentRunID and ParentStep name the run and step whose playbook.run
	// started the run of a sub-playbook, so that a nested step leads back
	// to the run someone started.
	ParentRunID string `json:"parent_run_id,omitempty"`
	ParentStep  string `json:"parent_step,omitempty"`
	// Question and Answer are a confirm: question and its answer, yes or
	// no.
	Question string `json:"question,omitempty"`
	Answer   string `json:"answer,omitempty"`
	// AnsweredBy is, on a step's line, who answered its confirm: question
	// (engine.YesFlag for a run started with --yes).
	AnsweredBy string `json:"answered_by,omitempty"`
}

// The actions of an audit line that records what a person did rather than
// a step's call.
const (
	ActionConfirm = "confirm" // answered a step's confirm: question
	ActionCancel  = "cancel"  // cancelled a run
	ActionPause   = "pause"   // paused a playbook's schedule
	ActionResume  = "resume"  // resumed it
	ActionStart   = "start"   // started a run that was refused before any step
)

var _ engine.Auditor = (*AuditLog)(nil)

// OpenAudit opens (creating) the audit log at path for appending. Missing
// directories are created 0700, as the log is 0600: a first run given
// --state-dir DIR --audit-log DIR/audit.log finds no DIR yet. (The
// commands refuse a missing directory outside the state dir before.)
func OpenAudit(path string) (*AuditLog, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("audit log %s: creating its directory: %w; give a file in a directory this user can write", path, err)
	}
	f, err := fsx.OpenOwn(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("audit log: %w", err)
	}
	// No step may rewrite the record of what steps did.
	fsroot.Protect(path, "audit log")
	a := &AuditLog{path: path, f: f}
	a.idle.L = &a.mu
	return a, nil
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
	line.ParentRunID, line.ParentStep = c.Parent()
	if pb := c.Playbook(); pb != nil {
		line.Playbook, line.SHA256 = pb.File, pb.SHA256
	}
	if c.Index >= 0 {
		i := c.Index
		line.Item = &i
	}
	if cf := c.Confirmation; cf != nil {
		line.Question, line.Answer, line.AnsweredBy = cf.Question, cf.Answer, cf.By
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
//
// The first line of a batch leads it: it waits for the write under way,
// if any, then writes its batch. The other lines of the batch wait for
// the batch's end alone, and are woken once, without the lock: not each
// at every write's end to take the lock in turn and look whether it was
// theirs, a herd that held a busy server's answers behind the lock.
func (a *AuditLog) write(l *AuditLine) error {
	line, err := encodeLine(l)
	if err != nil {
		return fmt.Errorf("audit log %s: cannot encode the record: %w", a.path, err)
	}
	a.mu.Lock()
	mine := a.next
	lead := mine == nil
	if lead {
		mine = &auditBatch{buf: a.spare[:0], done: make(chan struct{})}
		a.spare = nil
		a.next = mine
	}
	mine.buf = append(mine.buf, *line...)
	putLine(line)
	if !lead {
		a.mu.Unlock()
		<-mine.done
		auditWoken()
		return mine.result()
	}
	// Only this line's writer takes a.next from here, so once the write
	// under way has ended no other can have begun.
	if cur := a.cur; cur != nil {
		a.mu.Unlock()
		<-cur.done
		auditWoken()
		a.mu.Lock()
	}
	f, torn := a.f, a.torn
	a.next, a.cur = nil, mine
	a.mu.Unlock()
	err = writeBatch(f, mine.buf, &torn)
	a.mu.Lock()
	mine.err, a.cur, a.torn = err, nil, torn
	if cap(mine.buf) <= 64<<10 {
		a.spare = mine.buf
	}
	mine.buf = nil
	a.idle.Broadcast()
	a.mu.Unlock()
	close(mine.done)
	return mine.result()
}

func (b *auditBatch) result() error {
	if b.err != nil {
		return fmt.Errorf("audit log: %w", b.err)
	}
	return nil
}

// auditWoken is called each time a writer waiting for a line's write
// wakes; a variable for tests.
var auditWoken = func() {}

// Reopen opens the log's path anew and writes there from now on, for log
// rotation: after the file was renamed (logrotate's default), lines went
// on into the renamed file for as long as the process lived. Lines being
// written go to the old file first, which is then synced and closed. On
// an error the old file stays in use.
func (a *AuditLog) Reopen() error {
	f, err := fsx.OpenOwn(a.path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return fmt.Errorf("audit log: reopen: %w; lines still go to the file opened before", err)
	}
	fsroot.Protect(a.path, "audit log")
	a.mu.Lock()
	for a.cur != nil || a.next != nil {
		a.idle.Wait()
	}
	old := a.f
	a.f = f
	if st, err := f.Stat(); err == nil && st.Size() == 0 {
		a.torn = false // a new file: the part is in the old one
	}
	a.mu.Unlock()
	// No line is in flight to old now: the wait above saw every batch
	// written, and new lines take a.f under the lock.
	serr := old.Sync()
	if cerr := old.Close(); serr == nil {
		serr = cerr
	}
	if serr != nil {
		return fmt.Errorf("audit log: closing the file before the reopen: %w", serr)
	}
	return nil
}

// Close syncs and closes the log.
func (a *AuditLog) Close() error {
	a.mu.Lock()
	defer a.mu.Unlock()
	// Lines gathered or being written go first.
	for a.cur != nil || a.next != nil {
		a.idle.Wait()
	}
	if err := a.f.Sync(); err != nil {
		a.f.Close()
		return err
	}
	return a.f.Close()
}
