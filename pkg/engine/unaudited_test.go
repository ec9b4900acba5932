package engine

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/arsenal-run/arsenal-run/pkg/ops"
	"github.com/arsenal-run/arsenal-run/pkg/report"
)

// losesLines is an audit log that cannot write the lines of the steps
// named in lose, as a disk that fills up and is freed again would.
type losesLines struct {
	mu   sync.Mutex
	lose map[string]bool
	got  []string
}

func (a *losesLines) Audit(c *Call, _ map[string]any, _ error, _ time.Duration) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.lose[c.Step.ID] {
		return errors.New("step " + c.Step.ID + " could not be audited, so it fails: no space left on device")
	}
	a.got = append(a.got, c.Step.ID)
	return nil
}

// TestLostAuditLineFailsTheRun: a step whose audit line could not be
// written fails; continue_on_error, a rescue or an excused playbook.run
// step must not turn that into a run that succeeded (exit 0) with a gap
// in the audit log. The run fails, says why, and on_failure runs.
func TestLostAuditLineFailsTheRun(t *testing.T) {
	for name, src := range map[string]string{
		"continue_on_error": header + `
steps:
  - {id: a, op: control.noop, continue_on_error: true}
  - {id: b, op: control.noop}
on_failure:
  - {id: told, op: control.noop}
`,
		"rescue": header + `
steps:
  - id: a
    op: control.noop
    rescue:
      - {id: fix, op: control.noop}
  - {id: b, op: control.noop}
on_failure:
  - {id: told, op: control.noop}
`,
	} {
		t.Run(name, func(t *testing.T) {
			audit := &losesLines{lose: map[string]bool{"a": true}}
			e, _ := newEngine(t, WithAuditor(audit))
			rep := mustRun(t, plan(t, e, src), nil)
			checkLost(t, rep)
			if got := statuses(rep); got["b"] != report.StatusSucceeded || got["told"] != report.StatusSucceeded {
				t.Errorf("statuses %v; want b and told succeeded", got)
			}
		})
	}

	t.Run("sub-playbook", func(t *testing.T) {
		audit := &losesLines{lose: map[string]bool{"inner": true}}
		e, _ := newEngine(t, WithAuditor(audit))
		if err := RegisterPlaybookOp(e); err != nil {
			t.Fatal(err)
		}
		dir := t.TempDir()
		for name, src := range map[string]string{
			"main.yaml":  header + "steps:\n  - {id: call, op: playbook.run, with: {path: child.yaml}, continue_on_error: true}\n",
			"child.yaml": "version: 1\nname: child\nsteps:\n  - {id: inner, op: control.noop, continue_on_error: true}\n",
		} {
			if err := os.WriteFile(filepath.Join(dir, name), []byte(src), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		p, err := e.Load(filepath.Join(dir, "main.yaml"))
		if err != nil {
			t.Fatal(err)
		}
		checkLost(t, mustRun(t, p, nil))
	})
}

func checkLost(t *testing.T, rep *report.Report) {
	t.Helper()
	if rep.Status != report.StatusFailed || rep.Error == nil || rep.Error.Class != string(ops.ClassSystem) ||
		!strings.Contains(rep.Error.Message, "audit line could not be written") || !strings.Contains(rep.Error.Message, "no space left on device") {
		t.Errorf("run %s %+v; want failed, class system, saying an audit line was lost and why", rep.Status, rep.Error)
	}
}

// losesOnce is an audit log that cannot write the first line of step
// lose, as a disk that fills up and is freed again at once would.
type losesOnce struct {
	mu   sync.Mutex
	lose string
	lost bool
}

func (a *losesOnce) Audit(c *Call, _ map[string]any, _ error, _ time.Duration) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	if c.Step.ID == a.lose && !a.lost {
		a.lost = true
		return errors.New("step " + c.Step.ID + " could not be audited, so it fails: no space left on device")
	}
	return nil
}

// TestLostAuditLineRetriedPast: a sub-playbook's step lost its audit
// line, and the retry: of the step that ran the sub-playbook ran it again
// with success. The run fails, and its error says that the retry went on
// past the lost line, not that continue_on_error or rescue excused it
// (neither is in the playbooks).
func TestLostAuditLineRetriedPast(t *testing.T) {
	e, _ := newEngine(t, WithAuditor(&losesOnce{lose: "inner"}))
	if err := RegisterPlaybookOp(e); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	for name, src := range map[string]string{
		"main.yaml":  header + "steps:\n  - {id: call, op: playbook.run, with: {path: child.yaml}, retry: {attempts: 2, when: \"true\"}}\n",
		"child.yaml": "version: 1\nname: child\nsteps:\n  - {id: inner, op: control.noop}\n",
	} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	p, err := e.Load(filepath.Join(dir, "main.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	rep := mustRun(t, p, nil)
	checkLost(t, rep)
	if got := statuses(rep); got["call"] != report.StatusSucceeded {
		t.Fatalf("statuses %v; want call succeeded on its second try", got)
	}
	msg := rep.Error.Message
	if strings.Contains(msg, "continue_on_error") || strings.Contains(msg, "rescue") || !strings.Contains(msg, "retry: of step call") {
		t.Errorf("the run's error: %q; want it to say the retry: of step call went on past the lost line", msg)
	}
}
