package cli

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/arsenal-run/arsenal-run/pkg/report"
)

// These tests run the built binary the way an on-call engineer would, with
// a real policy file that lets role oncall (read-only by itself) run one
// pinned runbook with the rights of admin.

// e2eResult is one finished run of the binary.
type e2eResult struct {
	code           int
	stdout, stderr string
}

// runBinary runs arsenal-run in dir and waits for it.
func runBinary(t *testing.T, dir string, args ...string) e2eResult {
	t.Helper()
	cmd := exec.Command(binary(t), args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GITHUB_STEP_SUMMARY=", "ARSENAL_STATE_DIR=", "ARSENAL_ROLES=")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	done := make(chan error, 1)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { done <- cmd.Wait() }()
	select {
	case <-done:
	case <-time.After(60 * time.Second):
		cmd.Process.Kill()
		<-done
		t.Fatalf("arsenal-run %v did not finish; stderr:\n%s", args, stderr.String())
	}
	return e2eResult{cmd.ProcessState.ExitCode(), stdout.String(), stderr.String()}
}

// delegation writes a runbook and a policy granting it to role oncall as
// admin, with the given grant inputs, and returns the directory.
func delegation(t *testing.T, runbook, grantInputs string) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "runbooks"), 0o755); err != nil {
		t.Fatal(err)
	}
	writePlaybook(t, dir, "runbooks/restart-worker.yaml", runbook)
	sum := sha256.Sum256([]byte(runbook))
	policy := fmt.Sprintf(`version: 1
roles:
  oncall:
    max_risk: read
    playbooks:
      - path: runbooks/restart-worker.yaml
        sha256: "%s"
        as: admin
        inputs: %s
`, hex.EncodeToString(sum[:]), grantInputs)
	writePlaybook(t, dir, "policy.yaml", policy)
	return dir
}

// victim starts a process with a name of its own (a copy of sleep), which
// a runbook could be steered to signal, and returns its pid and name.
func victim(t *testing.T) (int, string) {
	t.Helper()
	sleep, err := exec.LookPath("sleep")
	if err != nil {
		t.Skip("no sleep binary")
	}
	data, err := os.ReadFile(sleep)
	if err != nil {
		t.Fatal(err)
	}
	var b [4]byte
	rand.Read(b[:])
	name := "arv-" + hex.EncodeToString(b[:]) // within the 15 bytes of a process name
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, data, 0o755); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(path, "300")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan struct{})
	go func() { cmd.Wait(); close(exited) }()
	t.Cleanup(func() {
		cmd.Process.Kill()
		<-exited
	})
	return cmd.Process.Pid, name
}

// alive reports whether pid runs and is not a zombie.
func alive(pid int) bool {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return syscall.Kill(pid, 0) == nil
	}
	f := strings.Fields(string(data))
	return len(f) > 2 && f[2] != "Z"
}

const steerableRunbook = `version: 1
name: restart-worker
inputs:
  start_command: {type: list, default: ["true"]}
  name_regex: {type: string, default: "^arsenal-none$"}
  signal: {type: string, default: TERM, enum: [TERM, HUP]}
  service: {type: string, default: api}
steps:
  - {id: start, op: process.start, with: {command: "${{ inputs.start_command }}"}}
  - {id: find, op: process.list, with: {name_regex: "${{ inputs.name_regex }}"}}
  - id: restart
    op: process.signal
    foreach: steps.find.output.processes
    with: {pid: "${{ item.pid }}", started_at: "${{ item.started_at }}", signal: "${{ inputs.signal }}"}
`

// TestE2EGrantRefusesFreeInputs: under a grant as admin, an on-call caller
// cannot choose the command the runbook starts, nor which processes it
// signals; inputs that the grant or the runbook constrains can be set.
func TestE2EGrantRefusesFreeInputs(t *testing.T) {
	dir := delegation(t, steerableRunbook, "{service: [api, worker]}")
	pid, name := victim(t)
	marker := filepath.Join(dir, "pwned")
	rb := "runbooks/restart-worker.yaml"
	as := []string{"--role", "oncall", "--policy", "policy.yaml"}

	for _, tc := range []struct {
		name  string
		input []string
		want  string
	}{
		{"start_command", []string{"--input", `start_command=["touch","` + marker + `"]`},
			"input start_command is set to [\"touch\","},
		{"name_regex", []string{"--input", "name_regex=^" + name + "$", "--input", "signal=HUP"},
			"input name_regex is set to \"^" + name + "$\""},
		{"a value outside the grant", []string{"--input", "service=db"},
			"input service: db is not an allowed value; give one of: api, worker (the grant's rule)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rep := filepath.Join(t.TempDir(), "r.json")
			args := append(append([]string{"run", rb, "--report", rep}, as...), tc.input...)
			res := runBinary(t, dir, args...)
			if res.code != ExitDenied {
				t.Fatalf("exit %d, want %d (denied)\n%s", res.code, ExitDenied, res.stderr)
			}
			for _, want := range []string{tc.want, "role oncall's grant of runbooks/restart-worker.yaml as admin (policy policy.yaml) does not let the caller set"} {
				if !strings.Contains(res.stderr, want) {
					t.Errorf("stderr does not say %q:\n%s", want, res.stderr)
				}
			}
			if tc.name != "a value outside the grant" {
				fix := "add inputs." + tc.name + " to the grant of runbooks/restart-worker.yaml in policy policy.yaml, or give the input an enum"
				if !strings.Contains(res.stderr, fix) {
					t.Errorf("stderr does not give the fix %q:\n%s", fix, res.stderr)
				}
			}
			// The steps that rest on the grant are denied, the others not
			// run; nothing started.
			r := readReport(t, rep)
			want := map[string]report.Status{"start": report.StatusDenied, "find": report.StatusSkipped, "restart": report.StatusDenied}
			for _, s := range r.Steps {
				if s.Status != want[s.ID] || s.StartedAt != nil {
					t.Errorf("step %s: %s (started %v); want %s before anything ran", s.ID, s.Status, s.StartedAt, want[s.ID])
				}
			}
		})
	}
	if _, err := os.Stat(marker); err == nil {
		t.Error("the caller's command ran as admin")
	}
	if !alive(pid) {
		t.Error("the caller's choice of process was signalled as admin")
	}

	// Constrained inputs (the grant's service, the runbook's signal enum)
	// and secret-free defaults run.
	res := runBinary(t, dir, append([]string{"run", rb, "--input", "service=worker", "--input", "signal=HUP"}, as...)...)
	if res.code != ExitOK {
		t.Errorf("constrained inputs: exit %d\n%s%s", res.code, res.stdout, res.stderr)
	}

	// validate shows what the grant leaves free.
	res = runBinary(t, dir, append([]string{"validate", rb}, as...)...)
	for _, want := range []string{
		"inputs under the grant of runbooks/restart-worker.yaml as admin:",
		`start_command        LOCKED: no rule constrains it, so callers may not set it; it keeps its default ["true"]`,
		`name_regex           LOCKED: no rule constrains it, so callers may not set it; it keeps its default "^arsenal-none$"`,
		"signal               callers may set it: one of TERM, HUP (the runbook's rule)",
		"service              callers may set it: one of api, worker (the grant's rule)",
	} {
		if !strings.Contains(res.stdout, want) {
			t.Errorf("validate does not show %q:\n%s", want, res.stdout)
		}
	}
	if res.code != ExitOK {
		t.Errorf("validate: exit %d\n%s", res.code, res.stderr)
	}
}

const resumableRunbook = `version: 1
name: restart-worker
inputs:
  signal: {type: string, default: TERM, enum: [TERM, HUP]}
steps:
  # The workers of an earlier check, which a resume reuses (a resume runs
  # a process.list again, whatever its report says).
  - id: find
    op: control.set
    with: {processes: []}
  - id: check
    op: control.assert
    with: {that: "${{ len(steps.find.output.processes) > 0 }}", message: no worker runs}
  - id: restart
    op: process.signal
    foreach: steps.find.output.processes
    with: {pid: "${{ item.pid }}", signal: "${{ inputs.signal }}"}
`

// forge rewrites a report as someone steering a resumed run would: the
// find step succeeded and found pid.
func forge(t *testing.T, from, to string, pid int) {
	t.Helper()
	data, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(data, &m); err != nil {
		t.Fatal(err)
	}
	found := false
	for _, s := range m["steps"].([]any) {
		st := s.(map[string]any)
		if st["id"] == "find" {
			st["status"] = "succeeded"
			st["output"] = map[string]any{"processes": []any{map[string]any{"pid": pid, "name": "worker"}}, "count": 1}
			found = true
		}
	}
	if !found {
		t.Fatal("no find step to forge")
	}
	out, _ := json.MarshalIndent(m, "", "  ")
	if err := os.WriteFile(to, out, 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestE2EForgedResumeRefused: an edited report cannot steer a delegated
// runbook. Under the grant, only a report arsenal-run signed with the state
// dir's key is resumed; by the caller's own roles, any report is.
func TestE2EForgedResumeRefused(t *testing.T) {
	dir := delegation(t, resumableRunbook, "{}")
	pid, _ := victim(t)
	rb := "runbooks/restart-worker.yaml"
	oncall := []string{"--role", "oncall", "--policy", "policy.yaml"}
	state := filepath.Join(dir, "state")

	// A real run that failed: no worker was found.
	res := runBinary(t, dir, append([]string{"run", rb, "--report", "first.json", "--state-dir", state}, oncall...)...)
	if res.code != ExitFailed {
		t.Fatalf("first run: exit %d\n%s", res.code, res.stderr)
	}
	first := readReport(t, filepath.Join(dir, "first.json"))
	if first.Signature == "" {
		t.Fatal("the report of a run with a state dir is not signed")
	}
	if fi, err := os.Stat(filepath.Join(state, report.KeyFile)); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("report key: %v %v", fi, err)
	}

	refused := func(name string, args ...string) {
		t.Helper()
		res := runBinary(t, dir, append(append([]string{"run", rb}, args...), oncall...)...)
		if res.code != ExitDenied || !strings.Contains(res.stderr, "cannot be verified") ||
			!strings.Contains(res.stderr, "resume by run id (--resume RUN_ID) with the --state-dir that recorded the run") {
			t.Errorf("%s: exit %d, want %d with the reason and the fix\n%s", name, res.code, ExitDenied, res.stderr)
		}
		if !alive(pid) {
			t.Fatalf("%s: the forged pid was signalled", name)
		}
	}

	// Forged, and no key to check it with.
	forge(t, filepath.Join(dir, "first.json"), filepath.Join(dir, "forged.json"), pid)
	refused("forged, no state dir", "--resume", "forged.json")
	// Forged, signature kept: it no longer matches.
	refused("forged, signature kept", "--resume", "forged.json", "--state-dir", state)
	// Signature dropped.
	var m map[string]any
	data, _ := os.ReadFile(filepath.Join(dir, "forged.json"))
	json.Unmarshal(data, &m)
	delete(m, "signature")
	data, _ = json.Marshal(m)
	os.WriteFile(filepath.Join(dir, "unsigned.json"), data, 0o644)
	refused("forged, unsigned", "--resume", "unsigned.json", "--state-dir", state)

	// What arsenal-run recorded itself resumes, by run id or by file: the
	// run goes on (and fails again, as no worker runs).
	for _, from := range []string{first.RunID, "first.json"} {
		res = runBinary(t, dir, append([]string{"run", rb, "--resume", from, "--state-dir", state}, oncall...)...)
		if res.code != ExitFailed || !strings.Contains(res.stdout, "reused") {
			t.Errorf("--resume %s: exit %d, want %d with find reused\n%s%s", from, res.code, ExitFailed, res.stdout, res.stderr)
		}
	}
	if !alive(pid) {
		t.Fatal("the victim died")
	}

	// A caller whose own roles may signal any process gains nothing from
	// a forgery: the report is accepted, with those roles only.
	res = runBinary(t, dir, "run", rb, "--resume", "forged.json", "--role", "admin", "--policy", "policy.yaml")
	if res.code != ExitOK {
		t.Errorf("admin resuming an unverified report: exit %d\n%s%s", res.code, res.stdout, res.stderr)
	}
	for deadline := time.Now().Add(10 * time.Second); alive(pid); time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Error("admin's resumed run did not signal the pid the report names")
			break
		}
	}
}
