package cli

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/arsenal-run/arsenal-run/pkg/report"
)

const everySecond = `version: 1
name: tick
schedule:
  cron: "@every 1s"
steps:
  - {id: hello, op: control.log, with: {message: tick}}
  - {id: rest, op: control.noop}
finally:
  - {id: tidy, op: control.noop}
`

// slowEverySecond starts a run that sleeps for an hour; its later slots
// are skipped while it runs, and shutdown cancels it after the grace.
const slowEverySecond = `version: 1
name: slow
schedule:
  cron: "@every 1s"
steps:
  - {id: nap, op: control.sleep, with: {duration: 1h}}
finally:
  - {id: cleanup, op: control.log, with: {message: cleanup ran}}
`

// TestScheduleDaemon runs `arsenal-run schedule` for real: an @every 1s
// playbook fires several times; a second scheduler on the same state dir
// exits 2 naming the first one's pid; a SIGHUP with a broken file keeps
// the old schedules firing and /healthz shows the reload error; SIGTERM
// stops it with exit 0 after cancelling the run still going (its finally
// step runs) once the grace is over. The history then has no run left
// running, every row is a scheduled one with its slot, and no slot of a
// playbook appears twice.
func TestScheduleDaemon(t *testing.T) {
	dir := t.TempDir()
	jobs := filepath.Join(dir, "jobs")
	state := filepath.Join(dir, "state")
	if err := os.MkdirAll(jobs, 0o755); err != nil {
		t.Fatal(err)
	}
	writePlaybook(t, jobs, "tick.yaml", everySecond)
	writePlaybook(t, jobs, "slow.yaml", slowEverySecond)
	plugins := pluginDir(t)
	auditLog := filepath.Join(dir, "audit.log")
	p := start(t, "scheduler started", "schedule", jobs, "--state-dir", state, "--listen", "127.0.0.1:0",
		"--grace", "1s", "--log-format", "json", "--plugins", plugins, "--audit-log", auditLog)
	defer func() {
		if p.cmd.ProcessState == nil {
			p.cmd.Process.Kill()
			<-p.done
		}
	}()
	base := "http://" + logField(t, p.stderr.String(), "serving /healthz and /metrics", "addr")

	// A second scheduler on the same state dir is refused.
	second := exec.Command(binary(t), "schedule", jobs, "--state-dir", state)
	out, err := second.CombinedOutput()
	if code := second.ProcessState.ExitCode(); code != ExitUsage {
		t.Errorf("a second scheduler on the state dir: exit %d (%v), want %d\n%s", code, err, ExitUsage, out)
	}
	if want := fmt.Sprintf("`arsenal-run schedule`, pid %d, is running on this state dir", p.cmd.Process.Pid); !strings.Contains(string(out), want) {
		t.Errorf("the second scheduler says:\n%s\nwant it to name the first: %q", out, want)
	}

	ticks := func() float64 {
		return metric(t, base, `arsenal_schedule_runs_total{playbook="tick",status="succeeded"}`)
	}
	waitFor(t, "3 runs of tick", func() bool { return ticks() >= 3 })

	// A reload with a broken file keeps the schedules running. (It
	// says that a changed plugin manifest needs a restart.)
	writePlaybook(t, jobs, "tick.yaml", strings.Replace(everySecond, "@every 1s", "0 0 30 2 *", 1))
	greet, _ := os.ReadFile(filepath.Join(plugins, "greet.yaml"))
	writePlaybook(t, plugins, "greet.yaml", strings.Replace(string(greet), "Politely.", "Warmly.", 1))
	// The audit log is rotated as logrotate does by default: renamed,
	// then SIGHUP, after which lines go to a new file at the path.
	if err := os.Rename(auditLog, auditLog+".1"); err != nil {
		t.Fatal(err)
	}
	p.cmd.Process.Signal(syscall.SIGHUP)
	var h struct {
		Status      string `json:"status"`
		ReloadError *struct {
			Message string `json:"message"`
		} `json:"reload_error"`
		Playbooks []struct {
			Name string `json:"name"`
			Cron string `json:"cron"`
		} `json:"playbooks"`
	}
	waitFor(t, "/healthz to show the reload error", func() bool {
		getJSON(t, base+"/healthz", &h)
		return h.ReloadError != nil
	})
	if !strings.Contains(p.stderr.String(), "(changed greet.yaml), and plugins are read only at start: restart to use them") {
		t.Errorf("the reload does not say that the changed plugin needs a restart:\n%s", p.stderr.String())
	}
	if h.Status != "degraded" || !regexp.MustCompile(`tick\.yaml:4:9: cron "0 0 30 2 \*" never fires`).MatchString(h.ReloadError.Message) {
		t.Errorf("/healthz after a broken reload: status %s, reload_error %q", h.Status, h.ReloadError.Message)
	}
	if len(h.Playbooks) != 2 || h.Playbooks[1].Name != "tick" || h.Playbooks[1].Cron != "@every 1s" {
		t.Errorf("/healthz playbooks after a broken reload: %+v; want slow and tick, as loaded before", h.Playbooks)
	}
	after := ticks()
	waitFor(t, "tick to fire again after the failed reload", func() bool { return ticks() >= after+2 })
	waitFor(t, "audit lines in a new audit log after SIGHUP", func() bool {
		b, err := os.ReadFile(auditLog)
		return err == nil && strings.Contains(string(b), `"op":"control.noop"`)
	})
	if n := metric(t, base, `arsenal_schedule_step_duration_seconds_count{op="control.noop"}`); n < 2 {
		t.Errorf("step duration histogram counted %v control.noop steps", n)
	}
	// The process's own series, as serve's /metrics has them: its start
	// time tells a restart, its memory and descriptors a leak.
	for _, series := range []string{"process_start_time_seconds", "process_resident_memory_bytes", "go_goroutines"} {
		if n := metric(t, base, series); n <= 0 {
			t.Errorf("/metrics: %s is %v, want the process's", series, n)
		}
	}

	p.cmd.Process.Signal(syscall.SIGTERM)
	if code := p.wait(t); code != ExitOK {
		t.Fatalf("exit %d after SIGTERM, want 0\n%s", code, p.stderr.String())
	}
	logs := p.stderr.String()
	for _, want := range []string{"grace period over: cancelling the runs still going", `"message":"cleanup ran"`, `"message":"stopped"`} {
		if !strings.Contains(logs, want) {
			t.Errorf("the log does not say %q:\n%s", want, logs)
		}
	}

	// The run's own lines carry its playbook, run id and slot, and
	// component: scheduler, as the scheduler's lines of the run do.
	var cleanup map[string]any
	sc := bufio.NewScanner(strings.NewReader(logs))
	for sc.Scan() {
		var m map[string]any
		if json.Unmarshal(sc.Bytes(), &m) == nil && m["message"] == "cleanup ran" {
			cleanup = m
		}
	}
	if cleanup["playbook"] != "slow" || cleanup["run_id"] == nil || cleanup["slot"] == nil || cleanup["step"] != "cleanup" || cleanup["op"] != "control.log" || cleanup["component"] != "scheduler" {
		t.Errorf("the log line of the finally step: %v", cleanup)
	}
	runEndedLast(t, logs)

	res := runMain(t, "history", "--state-dir", state, "--json", "--limit", "1000")
	res.want(t, ExitOK, nil, nil)
	var rows []struct {
		ID         string        `json:"id"`
		Playbook   string        `json:"playbook"`
		Status     report.Status `json:"status"`
		Trigger    string        `json:"trigger"`
		Slot       *time.Time    `json:"slot"`
		BlockedBy  string        `json:"blocked_by"`
		ReportPath string        `json:"report_path"`
	}
	if err := json.Unmarshal([]byte(res.stdout), &rows); err != nil {
		t.Fatalf("history --json: %v\n%s", err, res.stdout)
	}
	count := map[string]int{}
	seen := map[string]bool{}
	var cancelled string
	for _, r := range rows {
		count[r.Playbook+" "+string(r.Status)]++
		if r.Trigger != "schedule" || r.Slot == nil {
			t.Errorf("run %s of %s: trigger %q, slot %v; want schedule and a slot", r.ID, r.Playbook, r.Trigger, r.Slot)
			continue
		}
		key := r.Playbook + " " + r.Slot.UTC().Format(time.RFC3339)
		if seen[key] {
			t.Errorf("slot %s appears twice", key)
		}
		seen[key] = true
		if r.Playbook == "slow" && r.Status == report.StatusCancelled {
			cancelled = r.ReportPath
		}
	}
	if count["tick succeeded"] < 5 || count["slow cancelled"] != 1 || count["slow skipped"] < 3 {
		t.Errorf("history counts %v; want at least 5 tick runs, 1 slow run cancelled, its later slots skipped", count)
	}
	for k, n := range count {
		if strings.HasSuffix(k, " running") {
			t.Errorf("%d runs left running: %s", n, k)
		}
	}
	if cancelled != "" {
		rep := readReport(t, cancelled)
		want := map[string]report.Status{"nap": report.StatusCancelled, "cleanup": report.StatusSucceeded}
		if diff := cmp.Diff(want, statuses(rep)); diff != "" {
			t.Errorf("the cancelled run's steps (-want +got):\n%s", diff)
		}
	}
	if _, err := os.Stat(filepath.Join(state, "scheduler.lock")); err != nil {
		t.Errorf("the lock file: %v", err)
	}
	// The lock went with the process: a new scheduler may start (and
	// refuses the broken file).
	runMain(t, "schedule", jobs, "--state-dir", state).want(t, ExitUsage, nil, []string{`tick.yaml:4:9: cron "0 0 30 2 *" never fires`, "nothing was scheduled"})
}

// runEndedLast checks that each run's "run ended" line comes after every
// other line of that run, and that some runs ended.
func runEndedLast(t *testing.T, logs string) {
	t.Helper()
	ended := map[string]int{} // run id: line of "run ended"
	n := 0
	sc := bufio.NewScanner(strings.NewReader(logs))
	for line := 1; sc.Scan(); line++ {
		var m map[string]any
		if json.Unmarshal(sc.Bytes(), &m) != nil {
			continue
		}
		id, _ := m["run_id"].(string)
		if id == "" {
			continue
		}
		if at, ok := ended[id]; ok {
			t.Errorf("line %d of run %s (%q) comes after its \"run ended\" line, %d", line, id, m["message"], at)
		}
		if m["message"] == "run ended" {
			ended[id] = line
			n++
		}
	}
	if n < 3 {
		t.Errorf("%d runs ended in the log, want at least 3:\n%s", n, logs)
	}
}

// logField finds the JSON log line with message msg and returns field.
func logField(t *testing.T, logs, msg, field string) string {
	t.Helper()
	sc := bufio.NewScanner(strings.NewReader(logs))
	for sc.Scan() {
		var m map[string]any
		if json.Unmarshal(sc.Bytes(), &m) == nil && m["message"] == msg {
			if s, ok := m[field].(string); ok {
				return s
			}
		}
	}
	t.Fatalf("no log line %q with %s:\n%s", msg, field, logs)
	return ""
}

// waitFor polls cond for up to a minute: the machine may be slow, but
// the schedules fire every second.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("waited a minute for %s", what)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func getJSON(t *testing.T, url string, v any) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
}

// metric reads one series of /metrics; 0 when it is not there yet.
func metric(t *testing.T, base, series string) float64 {
	t.Helper()
	resp, err := http.Get(base + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(l, series+" "); ok {
			f, err := strconv.ParseFloat(v, 64)
			if err != nil {
				t.Fatalf("%s: %v", l, err)
			}
			return f
		}
	}
	return 0
}
