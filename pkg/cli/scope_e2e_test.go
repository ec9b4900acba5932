package cli

import (
	"bytes"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/arsenal-run/arsenal-run/pkg/report"
)

// These tests run the built binary with a real policy file, as a user
// would, for the escalation paths the policy must close.

// runBuilt runs the built arsenal-run with args and returns what it
// printed and its exit code.
func runBuilt(t *testing.T, args ...string) result {
	t.Helper()
	cmd := exec.Command(binary(t), args...)
	cmd.Env = append(os.Environ(), "GITHUB_STEP_SUMMARY=")
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	code := 0
	if err != nil {
		ee, ok := err.(*exec.ExitError)
		if !ok {
			t.Fatalf("running arsenal-run: %v", err)
		}
		code = ee.ExitCode()
	}
	return result{code, out.String(), errb.String()}
}

// stepRecord finds a step of a report by id.
func stepRecord(t *testing.T, r *report.Report, id string) report.Step {
	t.Helper()
	for _, s := range r.Steps {
		if s.ID == id {
			return s
		}
	}
	t.Fatalf("no step %s in the report", id)
	return report.Step{}
}

func e2eFile(t *testing.T, dir, name, content string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func readPIDMax(t *testing.T) int {
	b, err := os.ReadFile("/proc/sys/kernel/pid_max")
	if err != nil {
		return 1 << 22
	}
	n, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// TestE2EPIDsOutsideTheHostRange checks that process.kill refuses a pid
// outside 1..pid_max-1 before any guard: 2^32+N used to reach pid N.
func TestE2EPIDsOutsideTheHostRange(t *testing.T) {
	dir := t.TempDir()
	victim := exec.Command("sleep", "300")
	if err := victim.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { victim.Process.Kill(); victim.Wait() }()
	vpid := victim.Process.Pid
	policy := e2eFile(t, dir, "policy.yaml", `version: 1
roles:
  ops: {max_risk: read, allow: ["process.*"]}
`)
	// A literal pid is refused when the playbook loads.
	literal := writePlaybook(t, dir, "literal.yaml", fmt.Sprintf(`version: 1
name: literal
steps:
  - {id: kill, op: process.kill, with: {pid: %d}}
`, 1<<32+vpid))
	res := runBuilt(t, "run", literal, "--role", "ops", "--policy", policy)
	res.want(t, ExitUsage, nil, []string{"param pid", "is not a process id"})

	// An interpolated one is refused when the step runs.
	pb := writePlaybook(t, dir, "dynamic.yaml", `version: 1
name: dynamic
inputs:
  pid: {type: integer}
steps:
  - {id: kill, op: process.kill, with: {pid: "${{ inputs.pid }}"}}
`)
	max := readPIDMax(t)
	for _, tc := range []struct {
		pid   int
		code  int
		class string
	}{
		{0, ExitFailed, "validation"},
		{-1, ExitFailed, "validation"},
		{1, ExitDenied, "authorization"},
		{max, ExitFailed, "validation"},
		{max + 1, ExitFailed, "validation"},
		{1<<32 + 1, ExitFailed, "validation"},
		{1<<32 + vpid, ExitFailed, "validation"},
		{-(1 << 32) + vpid, ExitFailed, "validation"},
	} {
		rep := filepath.Join(dir, fmt.Sprintf("r%d.json", tc.pid))
		res := runBuilt(t, "run", pb, "--role", "ops", "--policy", policy, "--input", fmt.Sprintf("pid=%d", tc.pid), "--report", rep)
		if res.code != tc.code {
			t.Errorf("pid %d: exit %d, want %d\n%s", tc.pid, res.code, tc.code, res.stderr)
			continue
		}
		s := stepRecord(t, readReport(t, rep), "kill")
		if s.Error == nil || s.Error.Class != tc.class || !strings.Contains(s.Error.Message, "pid") {
			t.Errorf("pid %d: step error %+v, want class %s", tc.pid, s.Error, tc.class)
		}
	}
	if err := syscall.Kill(vpid, 0); err != nil {
		t.Fatalf("the victim pid %d was hit through a wrapped pid: %v", vpid, err)
	}
}

// TestE2EUnspecifiedAddressIsLoopback checks that a role with
// deny_loopback cannot reach a loopback service through 0.0.0.0 or [::]
// with http.request, net.tcp_check or cluster.health.
func TestE2EUnspecifiedAddressIsLoopback(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, "internal") }))
	defer srv.Close()
	_, port, _ := net.SplitHostPort(strings.TrimPrefix(srv.URL, "http://"))
	dir := t.TempDir()
	policy := e2eFile(t, dir, "policy.yaml", `version: 1
roles:
  web:
    inherits: [operator]
    http: {deny_loopback: true}
`)
	pb := writePlaybook(t, dir, "dial.yaml", strings.ReplaceAll(`version: 1
name: dial
inputs:
  host: {type: string}
steps:
  - {id: http, needs: [], op: http.request, with: {url: "http://${{ inputs.host }}:PORT/"}}
  - {id: tcp, needs: [], op: net.tcp_check, with: {address: "${{ inputs.host }}:PORT", expect: reachable}}
  - {id: cluster_url, needs: [], op: cluster.health, with: {nodes: [{name: a, url: "http://${{ inputs.host }}:PORT/"}]}}
  - {id: cluster_tcp, needs: [], op: cluster.health, with: {nodes: [{name: a, address: "${{ inputs.host }}:PORT"}]}}
`, "PORT", port))
	for _, host := range []string{"0.0.0.0", "[::]", "[::ffff:0.0.0.0]"} {
		// Without http rules the address reaches the service.
		rep := filepath.Join(dir, "open.json")
		res := runBuilt(t, "run", pb, "--role", "admin", "--policy", policy, "--input", "host="+host, "--report", rep)
		if res.code != ExitOK {
			t.Fatalf("%s as admin: exit %d; the address should reach the test server\n%s", host, res.code, res.stderr)
		}
		if out, _ := stepRecord(t, readReport(t, rep), "http").Output.(map[string]any); out["body"] != "internal" {
			t.Fatalf("%s as admin: http output %v", host, out)
		}
		rep = filepath.Join(dir, "denied.json")
		res = runBuilt(t, "run", pb, "--role", "web", "--policy", policy, "--input", "host="+host, "--report", rep)
		if res.code != ExitDenied {
			t.Errorf("%s under deny_loopback: exit %d, want %d\n%s", host, res.code, ExitDenied, res.stderr)
		}
		r := readReport(t, rep)
		for _, id := range []string{"http", "tcp", "cluster_url", "cluster_tcp"} {
			s := stepRecord(t, r, id)
			if s.Status != report.StatusDenied || s.Error == nil || s.Error.Class != "authorization" || !strings.Contains(s.Error.Message, "loopback") {
				t.Errorf("%s %s: %s %+v, want denied as loopback", host, id, s.Status, s.Error)
			}
		}
	}
}

// TestE2EPlaybookRunStaysInRoots checks that playbook.run cannot read a
// file outside the caller's roots and the calling playbook's directory,
// and that the refusal shows nothing of the file.
func TestE2EPlaybookRunStaysInRoots(t *testing.T) {
	dir := t.TempDir()
	policy := e2eFile(t, dir, "policy.yaml", `version: 1
roles:
  ops: {max_risk: write, file_roots: [data]}
`)
	writePlaybook(t, dir, "child.yaml", "version: 1\nname: child\nsteps:\n  - {id: a, op: control.noop}\n")
	beside := writePlaybook(t, dir, "beside.yaml", "version: 1\nname: beside\nsteps:\n  - {id: sub, op: playbook.run, with: {path: child.yaml}}\n")
	runBuilt(t, "run", beside, "--role", "ops", "--policy", policy).want(t, ExitOK, nil, nil)

	literal := writePlaybook(t, dir, "literal.yaml", "version: 1\nname: literal\nsteps:\n  - {id: sub, op: playbook.run, with: {path: /etc/passwd}}\n")
	rep := filepath.Join(dir, "literal.json")
	res := runBuilt(t, "run", literal, "--role", "ops", "--policy", policy, "--report", rep)
	res.want(t, ExitDenied, nil, []string{"outside the allowed roots"})
	dynamic := writePlaybook(t, dir, "dynamic.yaml", `version: 1
name: dynamic
inputs:
  path: {type: string}
steps:
  - {id: sub, op: playbook.run, with: {path: "${{ inputs.path }}"}}
`)
	rep2 := filepath.Join(dir, "dynamic.json")
	res2 := runBuilt(t, "run", dynamic, "--role", "ops", "--policy", policy, "--input", "path=/etc/passwd", "--report", rep2)
	res2.want(t, ExitDenied, nil, nil)
	if s := stepRecord(t, readReport(t, rep2), "sub"); s.Status != report.StatusDenied || !strings.Contains(s.Error.Message, "outside the allowed roots") {
		t.Errorf("run-time path: %s %+v", s.Status, s.Error)
	}
	for _, out := range []string{res.stdout, res.stderr, res2.stdout, res2.stderr, string(mustRead(t, rep)), string(mustRead(t, rep2))} {
		if strings.Contains(out, "root:x") || strings.Contains(out, "/bin/") {
			t.Errorf("the output shows the content of /etc/passwd:\n%s", out)
		}
	}
	runBuilt(t, "validate", literal, "--role", "ops", "--policy", policy).want(t, ExitDenied, []string{"outside the allowed roots"}, nil)
}

// TestE2ERequiredSandbox checks what a role with require_sandbox gets: a
// sandbox without network under the role's limits, denials for a step
// that asks for more, and no process.start.
func TestE2ERequiredSandbox(t *testing.T) {
	hostNet, err := os.Readlink("/proc/self/ns/net")
	if err != nil {
		t.Skip("no /proc/self/ns/net:", err)
	}
	dir := t.TempDir()
	policy := e2eFile(t, dir, "policy.yaml", `version: 1
roles:
  ci:
    inherits: [operator]
    require_sandbox: {memory: 512Mi}
  legacy:
    inherits: [operator]
    require_sandbox: true
`)
	probe := writePlaybook(t, dir, "probe.yaml", `version: 1
name: probe
steps:
  - {id: sh, op: shell.exec, with: {script: "readlink /proc/self/ns/net; ulimit -v", sandbox: {}}}
`)
	for role, mem := range map[string]string{"ci": strconv.Itoa(512 << 10), "legacy": "unlimited", "operator": "unlimited"} {
		rep := filepath.Join(dir, role+".json")
		runBuilt(t, "run", probe, "--role", role, "--policy", policy, "--report", rep).want(t, ExitOK, nil, nil)
		out, _ := stepRecord(t, readReport(t, rep), "sh").Output.(map[string]any)
		lines := strings.Split(strings.TrimSpace(fmt.Sprint(out["stdout"])), "\n")
		ownNet := len(lines) == 2 && lines[0] != hostNet
		if ownNet != (role != "operator") || len(lines) != 2 || lines[1] != mem {
			t.Errorf("sandbox: {} as %s printed %q; want a network of its own: %v, ulimit -v %s", role, lines, role != "operator", mem)
		}
	}
	for name, src := range map[string]string{
		"network":    `{id: s, op: shell.exec, with: {command: ["true"], sandbox: {network: true}}}`,
		"memory":     `{id: s, op: shell.exec, with: {command: ["true"], sandbox: {memory: 1Gi}}}`,
		"no sandbox": `{id: s, op: shell.exec, with: {command: ["true"]}}`,
	} {
		pb := writePlaybook(t, dir, "ask.yaml", "version: 1\nname: ask\nsteps:\n  - "+src+"\n")
		rep := filepath.Join(dir, "ask.json")
		runBuilt(t, "run", pb, "--role", "ci", "--policy", policy, "--report", rep).want(t, ExitDenied, nil, nil)
		if s := stepRecord(t, readReport(t, rep), "s"); s.Status != report.StatusDenied || !strings.Contains(s.Error.Message, "sandbox") {
			t.Errorf("%s: %s %+v", name, s.Status, s.Error)
		}
	}
	start := writePlaybook(t, dir, "start.yaml", `version: 1
name: start
steps:
  - {id: first, op: control.noop}
  - {id: daemon, op: process.start, with: {command: [sleep, "300"]}}
`)
	rep := filepath.Join(dir, "start.json")
	res := runBuilt(t, "run", start, "--role", "legacy", "--policy", policy, "--report", rep)
	res.want(t, ExitDenied, nil, []string{"process.start cannot run sandboxed"})
	if s := stepRecord(t, readReport(t, rep), "first"); s.Status == report.StatusSucceeded {
		t.Error("a step ran although process.start was denied at preflight")
	}
}

// TestE2EMissingProgramIsNotRetried checks that a program that is not
// found fails at once as a validation error, not retried with backoff.
func TestE2EMissingProgramIsNotRetried(t *testing.T) {
	dir := t.TempDir()
	pb := writePlaybook(t, dir, "missing.yaml", `version: 1
name: missing
steps:
  - {id: argv, needs: [], op: shell.exec, with: {command: [no-such-program-4711, -z]}, retry: {attempts: 5, delay: 3s}}
  - {id: start, needs: [], op: process.start, with: {command: [/no/such/daemon]}, retry: {attempts: 5, delay: 3s}}
`)
	rep := filepath.Join(dir, "r.json")
	runBuilt(t, "run", pb, "--report", rep).want(t, ExitFailed, nil, nil)
	r := readReport(t, rep)
	for _, id := range []string{"argv", "start"} {
		s := stepRecord(t, r, id)
		if s.Attempts != 1 || s.Error == nil || s.Error.Class != "validation" {
			t.Errorf("%s: %d attempts, error %+v; want 1 attempt and class validation", id, s.Attempts, s.Error)
		}
	}
}

// processesMatching returns the pids whose command line contains marker.
func processesMatching(marker string) []int {
	entries, _ := os.ReadDir("/proc")
	var pids []int
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		b, err := os.ReadFile("/proc/" + e.Name() + "/cmdline")
		if err != nil || !strings.Contains(string(bytes.ReplaceAll(b, []byte{0}, []byte{' '})), marker) {
			continue
		}
		if st, err := os.ReadFile("/proc/" + e.Name() + "/stat"); err == nil && strings.Contains(string(st), ") Z ") {
			continue // a zombie is dead already
		}
		pids = append(pids, pid)
	}
	return pids
}

// TestE2EKillNineKillsShellChildren checks that a shell step's processes,
// including a child the shell did not exec, die with a kill -9'd
// arsenal-run.
func TestE2EKillNineKillsShellChildren(t *testing.T) {
	if _, err := os.Stat("/proc/self/cmdline"); err != nil {
		t.Skip("needs /proc")
	}
	for _, tc := range []struct{ name, with string }{
		{"script", `{script: "sleep DURATION; echo done"}`},
		{"argv", `{command: [sh, -c, "sleep DURATION; echo done"]}`},
		{"sandboxed", `{script: "sleep DURATION; echo done", sandbox: {}}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			// A duration no other process uses finds the sleep.
			duration := fmt.Sprintf("3%d.%d", os.Getpid()%1000, time.Now().UnixNano()%1_000_000)
			dir := t.TempDir()
			pb := writePlaybook(t, dir, "pb.yaml", `version: 1
name: orphans
steps:
  - {id: sh, op: shell.exec, with: `+strings.ReplaceAll(tc.with, "DURATION", duration)+`}
`)
			defer func() {
				for _, pid := range processesMatching("sleep " + duration) {
					syscall.Kill(pid, syscall.SIGKILL)
				}
			}()
			cmd := exec.Command(binary(t), "run", pb)
			cmd.Env = append(os.Environ(), "GITHUB_STEP_SUMMARY=")
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			done := make(chan struct{})
			go func() { cmd.Wait(); close(done) }()
			deadline := time.Now().Add(20 * time.Second)
			for len(processesMatching("sleep "+duration)) == 0 {
				if time.Now().After(deadline) {
					cmd.Process.Kill()
					<-done
					t.Fatal("the step's sleep never started")
				}
				time.Sleep(20 * time.Millisecond)
			}
			// The step's process group is registered with the watchdog just
			// after it starts; a kill inside that window is a documented gap
			// (docs/playbooks.md), which a loaded machine can stretch.
			time.Sleep(300 * time.Millisecond)
			if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
				t.Fatal(err)
			}
			<-done
			deadline = time.Now().Add(10 * time.Second)
			for {
				left := processesMatching("sleep " + duration)
				if len(left) == 0 {
					break
				}
				if time.Now().After(deadline) {
					t.Fatalf("processes %v outlived arsenal-run killed with SIGKILL", left)
				}
				time.Sleep(50 * time.Millisecond)
			}
		})
	}
}
