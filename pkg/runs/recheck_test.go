package runs

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/arsenal-run/arsenal-run/pkg/auth"
	"github.com/arsenal-run/arsenal-run/pkg/ops"
	"github.com/arsenal-run/arsenal-run/pkg/report"
)

// A playbook that writes a file, in a concurrency group when given one.
const writer = `version: 1
name: writer
%s
inputs:
  path: {type: string}
steps:
  - {id: write, op: file.write, with: {path: "${{ inputs.path }}", content: written}}
`

// recheckFixture is a manager whose runs queue behind one that holds the
// only run slot (or the group), and the policies a reload swaps.
type recheckFixture struct {
	m              *Manager
	before, after  *auth.Policy
	current        atomic.Pointer[auth.Policy]
	gone           atomic.Bool // the caller's key was removed
	holder, target string
	auditPath      string
	reg            *ops.Registry
	roles          []string // the waiting run's caller's; operator when nil
}

func (f *recheckFixture) parse(t *testing.T, text string) *auth.Policy {
	t.Helper()
	p, err := auth.ParsePolicy("policy.yaml", []byte(text), f.reg)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func newRecheckFixture(t *testing.T) *recheckFixture {
	t.Helper()
	reg := newRegistry(t)
	f := &recheckFixture{reg: reg, target: filepath.Join(t.TempDir(), "written.txt")}
	f.before = f.parse(t, "version: 1\nroles:\n  admin: {allow: [\"*\"]}\n")
	f.after = f.parse(t, "version: 1\nroles:\n  admin: {allow: [\"*\"]}\n  operator: {max_risk: read}\n")
	f.current.Store(f.before)
	audit, auditPath := openAudit(t)
	f.auditPath = auditPath
	f.m = newManager(t, Config{Registry: reg, LockDir: t.TempDir(), Audit: audit}, Limits{MaxRunning: 1})
	return f
}

// recheck is the Request.Recheck of a front end whose policy and keys
// the test reloads.
func (f *recheckFixture) recheck() (*auth.Policy, error) {
	if f.gone.Load() {
		return nil, errors.New("the key oscar was removed from the keys file since the run was queued")
	}
	return f.current.Load(), nil
}

// queue starts a run that takes what the next must wait for (the slot,
// or group g), then the operator's write, which waits, and returns both.
func (f *recheckFixture) queue(t *testing.T, group string) (holder, waiter *Handle) {
	t.Helper()
	ctx := context.Background()
	hold, in := sleeper, map[string]string{}
	if group != "" {
		hold, in = fmt.Sprintf(grouped, "queue"), map[string]string{"nap": "1h"}
	}
	holder, err := f.m.Start(ctx, Request{Path: writePlaybook(t, hold), Policy: f.before, Caller: Caller{Roles: []string{"admin"}, Name: "alice"}, InputText: in})
	if err != nil {
		t.Fatal(err)
	}
	waitRunning(t, holder)
	roles := f.roles
	if roles == nil {
		roles = []string{"operator"}
	}
	conc := ""
	if group != "" {
		conc = "concurrency: {group: " + group + ", policy: queue}"
	}
	waiter, err = f.m.Start(ctx, Request{Path: writePlaybook(t, fmt.Sprintf(writer, conc)), Policy: f.before, Recheck: f.recheck,
		Caller: Caller{Roles: roles, Name: "oscar", Trigger: TriggerAPI}, InputText: map[string]string{"path": f.target}})
	if err != nil {
		t.Fatal(err)
	}
	if waiter.State() != StateQueued {
		t.Fatalf("the operator's run is %s, want it queued behind the first", waiter.State())
	}
	return holder, waiter
}

// TestAQueuedRunIsJudgedByTheCurrentPolicyAsItStarts: a run that waited
// for a run slot, or for its concurrency group, while a reload narrowed
// its caller's role does not start: it ends as the preflight ends a
// denied run, citing the rule of the policy now in force, and writes
// nothing; one whose caller's key went away ends with the front end's
// reason. Before, the run started with the policy it was queued under,
// and wrote the file.
func TestAQueuedRunIsJudgedByTheCurrentPolicyAsItStarts(t *testing.T) {
	for _, tc := range []struct {
		name, group string
		keyGone     bool
	}{
		{"slot", "", false},
		{"group", "deploy-api", false},
		{"slot, key removed", "", true},
		{"group, key removed", "deploy-api", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newRecheckFixture(t)
			holder, waiter := f.queue(t, tc.group)
			// The reload.
			if tc.keyGone {
				f.gone.Store(true)
			} else {
				f.current.Store(f.after)
			}
			holder.Cancel(errors.New("done holding"))
			wait(t, holder)
			r := wait(t, waiter)
			if _, err := os.Stat(f.target); !errors.Is(err, os.ErrNotExist) {
				t.Errorf("the queued run wrote %s (%v): it ran on rights the reload took away", f.target, err)
			}
			if r.Status != report.StatusFailed || r.Error == nil || r.Error.Class != string(ops.ClassAuthorization) {
				t.Fatalf("the queued run: %s %+v, want it failed for authorization", r.Status, r.Error)
			}
			step := r.Steps[0]
			if tc.keyGone {
				if !strings.Contains(r.Error.Message, "the key oscar was removed") || step.Status != report.StatusSkipped {
					t.Errorf("the queued run of a removed key: %+v, step %s %q", r.Error, step.Status, step.Reason)
				}
				return
			}
			if step.Status != report.StatusDenied || step.Authorization == nil || !strings.Contains(step.Authorization.Rule, "no rule of role operator allows file.write") {
				t.Errorf("the queued run's step: %s %+v, want it denied by the current policy's rule", step.Status, step.Authorization)
			}
		})
	}
}

// TestAQueuedRunStartsUnderTheCurrentPolicy: a reload that leaves the
// caller its rights lets the run start, under the policy now in force.
func TestAQueuedRunStartsUnderTheCurrentPolicy(t *testing.T) {
	f := newRecheckFixture(t)
	holder, waiter := f.queue(t, "")
	widened := *f.before // another policy value that allows the same
	f.current.Store(&widened)
	holder.Cancel(errors.New("done holding"))
	wait(t, holder)
	if r := wait(t, waiter); r.Status != report.StatusSucceeded {
		t.Fatalf("the queued run: %s %+v, want it to run", r.Status, r.Error)
	}
	if b, err := os.ReadFile(f.target); err != nil || string(b) != "written" {
		t.Errorf("the file: %q %v", b, err)
	}
}

// TestARunRefusedAsItStartsIsAudited: a queued run refused as it was
// about to start, its caller's key removed or its role gone from the
// reloaded policy, leaves a line in the audit log (action start, outcome
// denied) that says who started it, from where, and why, as a step the
// preflight denied does. Before, such a refusal left no line at all.
func TestARunRefusedAsItStartsIsAudited(t *testing.T) {
	for _, tc := range []struct {
		name, why string
		keyGone   bool
	}{
		{"key removed", "the key oscar was removed", true},
		{"role gone", `unknown role "deployer"`, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newRecheckFixture(t)
			f.before = f.parse(t, "version: 1\nroles:\n  deployer: {allow: [\"*\"]}\n")
			f.current.Store(f.before)
			f.roles = []string{"deployer"}
			holder, waiter := f.queue(t, "")
			if tc.keyGone {
				f.gone.Store(true)
			} else {
				f.current.Store(f.parse(t, "version: 1\nroles:\n  admin: {allow: [\"*\"]}\n"))
			}
			holder.Cancel(errors.New("done holding"))
			wait(t, holder)
			if r := wait(t, waiter); r.Error == nil || r.Error.Class != string(ops.ClassAuthorization) {
				t.Fatalf("the queued run: %s %+v, want it refused for authorization", r.Status, r.Error)
			}
			lines := auditLines(t, f.auditPath, auth.ActionStart)
			if len(lines) != 1 {
				t.Fatalf("audit lines of the refused start: %+v, want one", lines)
			}
			l := lines[0]
			if l.RunID != waiter.ID() || l.Who != "oscar" || l.Outcome != string(report.StatusDenied) || l.Playbook == "" ||
				l.Error == nil || l.Error.Class != string(ops.ClassAuthorization) || !strings.Contains(l.Error.Message, tc.why) {
				t.Errorf("the refused start's audit line: %+v (error %+v)", l, l.Error)
			}
		})
	}
}
