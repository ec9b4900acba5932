package cli

import (
	"bytes"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/arsenal-run/arsenal-run/pkg/steps"
)

func TestWriteNextFires(t *testing.T) {
	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Fatal(err)
	}
	pbs := []*steps.Playbook{
		{Name: "nightly", File: "nightly.yaml", Schedule: &steps.Schedule{Cron: "30 2 * * *", Timezone: "Europe/Berlin", Location: berlin}},
		{Name: "often", File: "often.yaml", Schedule: &steps.Schedule{Cron: "0 */6 * * *", Location: time.UTC}},
	}
	var b bytes.Buffer
	if err := writeNextFires(&b, pbs, previewFrom{now: time.Date(2026, 3, 28, 12, 0, 0, 0, time.UTC)}, 3); err != nil {
		t.Fatal(err)
	}
	want := `nightly (nightly.yaml): cron "30 2 * * *", time zone Europe/Berlin
  2026-03-29T03:00:00+02:00  2026-03-29T01:00:00Z
  2026-03-30T02:30:00+02:00  2026-03-30T00:30:00Z
  2026-03-31T02:30:00+02:00  2026-03-31T00:30:00Z

often (often.yaml): cron "0 */6 * * *", time zone UTC
  2026-03-28T18:00:00Z       2026-03-28T18:00:00Z
  2026-03-29T00:00:00Z       2026-03-29T00:00:00Z
  2026-03-29T06:00:00Z       2026-03-29T06:00:00Z
`
	if diff := cmp.Diff(want, b.String()); diff != "" {
		t.Errorf("--next output (-want +got):\n%s", diff)
	}
}

const scheduledPlaybook = `version: 1
name: %s
schedule:
  cron: "%s"
  timezone: America/New_York
steps:
  - id: a
    op: control.noop
`

func scheduled(name, cron string) string {
	return strings.Replace(strings.Replace(scheduledPlaybook, "%s", name, 1), "%s", cron, 1)
}

// TestScheduleNext runs 'schedule --next' on files and directories: the
// times are RFC 3339 in the playbook's zone and in UTC, naming the same
// instant, in the future; a directory contributes its scheduled playbooks.
func TestScheduleNext(t *testing.T) {
	playbookDir(t, map[string]string{
		"jobs/nightly.yaml": scheduled("nightly", "30 2 * * *"),
		"jobs/hourly.yml":   scheduled("hourly", "@hourly"),
		"jobs/plain.yaml":   "version: 1\nname: plain\nsteps:\n  - {id: a, op: control.noop}\n",
		"jobs/notes.txt":    "not a playbook",
	})
	before := time.Now()
	r := runMain(t, "schedule", "jobs", "--next", "3")
	r.want(t, ExitOK, nil, nil)
	lines := strings.Split(strings.TrimSuffix(r.stdout, "\n"), "\n")
	if len(lines) != 9 || lines[0] != `hourly (jobs/hourly.yml): cron "@hourly", time zone America/New_York` ||
		lines[5] != `nightly (jobs/nightly.yaml): cron "30 2 * * *", time zone America/New_York` {
		t.Fatalf("output:\n%s", r.stdout)
	}
	for _, l := range append(lines[1:4], lines[6:9]...) {
		f := strings.Fields(l)
		if len(f) != 2 {
			t.Fatalf("line %q", l)
		}
		local, err1 := time.Parse(time.RFC3339, f[0])
		utc, err2 := time.Parse(time.RFC3339, f[1])
		if err1 != nil || err2 != nil || !local.Equal(utc) || !strings.HasSuffix(f[1], "Z") || !local.After(before) {
			t.Errorf("line %q: %v %v", l, err1, err2)
		}
		if _, off := local.Zone(); off != -4*3600 && off != -5*3600 {
			t.Errorf("line %q is not in New York time", l)
		}
	}
	if strings.Contains(r.stdout, "plain") {
		t.Error("a playbook without schedule was listed")
	}
	// The same file named directly.
	runMain(t, "schedule", "jobs/nightly.yaml", "--next", "1").want(t, ExitOK, []string{"nightly (jobs/nightly.yaml)"}, nil)
}

// TestScheduleRefuses: bad files exit 2 with file:line:column, and so do a
// file without schedule, a directory without any, duplicate names and a
// bad --next.
func TestScheduleRefuses(t *testing.T) {
	playbookDir(t, map[string]string{
		"ok/a.yaml":    scheduled("a", "@hourly"),
		"bad/a.yaml":   scheduled("a", "@hourly"),
		"bad/b.yaml":   scheduled("b", "0 0 30 2 *"),
		"dup/a.yaml":   scheduled("a", "@daily"),
		"plain.yaml":   "version: 1\nname: plain\nsteps:\n  - {id: a, op: control.noop}\n",
		"empty/x.yaml": "version: 1\nname: x\nsteps:\n  - {id: a, op: control.noop}\n",
	})
	r := runMain(t, "schedule", "bad", "--next", "2")
	// --next schedules nothing, even when the files are good.
	r.want(t, ExitUsage, nil, []string{"no fire times were listed; fix the problems above"})
	if strings.Contains(r.stderr, "nothing was scheduled") {
		t.Errorf("--next says it scheduled nothing:\n%s", r.stderr)
	}
	if !regexp.MustCompile(`(?m)^bad/b\.yaml:4:9: cron "0 0 30 2 \*" never fires`).MatchString(r.stderr) || r.stdout != "" {
		t.Errorf("stderr:\n%s\nstdout:\n%s", r.stderr, r.stdout)
	}
	runMain(t, "schedule", "plain.yaml", "--next", "1").want(t, ExitUsage, nil, []string{"plain.yaml: has no schedule: block"})
	runMain(t, "schedule", "empty", "--next", "1").want(t, ExitUsage, nil, []string{"empty: no playbooks with a schedule: block in this directory: give one of its playbooks a schedule: block (see docs/playbooks.md#schedule), or name another directory"})
	runMain(t, "schedule", "ok", "dup", "--next", "1").want(t, ExitUsage, nil, []string{"dup/a.yaml:2:1: playbook name a is also used by ok/a.yaml:2:1; scheduled playbooks need names of their own: rename one of them"})
	runMain(t, "schedule", "ok", "--next", "0").want(t, ExitUsage, nil, []string{"--next must be between 1 and 1000"})
	runMain(t, "schedule", "--next", "1").want(t, ExitUsage, nil, []string{"give at least one playbook or directory"})
}

// TestScheduleReportsDuplicateNamesWithOtherProblems: two playbooks of
// the same name are reported at their name: keys, in the same pass as the
// problems of the other playbooks of the set (a required input without a
// default), not one after the other is fixed.
func TestScheduleReportsDuplicateNamesWithOtherProblems(t *testing.T) {
	playbookDir(t, map[string]string{
		"bad/dup.yaml": "version: 1\nname: tz\nschedule: {cron: \"@hourly\"}\nsteps:\n  - {id: a, op: control.noop}\n",
		"bad/tz.yaml":  "version: 1\nschedule: {cron: \"@daily\"}\n\n  # the name comes late\nname: tz\ninputs:\n  zone: {type: string, required: true}\nsteps:\n  - {id: a, op: control.noop}\n",
		"bad/inp.yaml": "version: 1\nname: inp\ninputs:\n  host: {type: string, required: true}\nschedule: {cron: \"@hourly\"}\nsteps:\n  - {id: a, op: control.noop}\n",
	})
	state := "never-created"
	r := runMain(t, "schedule", "bad", "--state-dir", state)
	r.want(t, ExitUsage, nil, []string{
		"bad/tz.yaml:5:1: playbook name tz is also used by bad/dup.yaml:2:1; scheduled playbooks need names of their own: rename one of them",
		"bad/inp.yaml:4:3: input host is required; scheduled runs are given no inputs",
		// The second playbook of a name is checked too, not only named.
		"bad/tz.yaml:7:3: input zone is required; scheduled runs are given no inputs",
		"nothing was scheduled",
	})
	if _, err := os.Stat(state); !os.IsNotExist(err) {
		t.Errorf("the state dir was created (%v) although nothing was scheduled", err)
	}
}

// TestScheduleChecksBeforeScheduling: running the schedules checks each
// playbook as its runs will be, before anything is scheduled or the state
// dir is touched: denied steps for the scheduler's roles exit 3 with the
// step's position, required inputs without a default exit 2, and so do
// unknown roles, a broken policy and bad flags.
func TestScheduleChecksBeforeScheduling(t *testing.T) {
	playbookDir(t, map[string]string{
		"write/w.yaml": `version: 1
name: w
schedule: {cron: "@hourly"}
steps:
  - {id: look, op: control.noop}
  - {id: put, op: file.write, with: {path: out.txt, content: x}}
`,
		"inputs/i.yaml": `version: 1
name: i
schedule: {cron: "@hourly"}
inputs:
  target: {type: string, required: true}
  level: {type: string, env: ARSENAL_TEST_UNSET_LEVEL, required: true}
  mode: {type: string, default: fast}
steps:
  - {id: a, op: control.noop}
`,
		"ok/a.yaml": scheduled("a", "@hourly"),
		"cached/c.yaml": `version: 1
name: c
schedule: {cron: "@hourly"}
steps:
  - {id: build, op: shell.exec, with: {script: make}, cache: {ttl: 1h}}
`,
	})
	state := "never-created"
	runMain(t, "schedule", "cached", "--state-dir", state).want(t, ExitUsage, nil, []string{
		"cached/c.yaml:5:62: cache: shell.exec is a write operation", "nothing was scheduled"})
	r := runMain(t, "schedule", "write", "--role", "viewer", "--state-dir", state)
	r.want(t, ExitDenied, nil, []string{"write/w.yaml:6:5: step put: op file.write (write) is denied for role viewer: ", "nothing was scheduled"})
	if strings.Contains(r.stderr, "look") {
		t.Errorf("an allowed step was reported:\n%s", r.stderr)
	}
	r = runMain(t, "schedule", "inputs", "--state-dir", state)
	r.want(t, ExitUsage, nil, []string{
		"inputs/i.yaml:5:3: input target is required; scheduled runs are given no inputs",
		"inputs/i.yaml:6:3: input level is required and $ARSENAL_TEST_UNSET_LEVEL is not set",
	})
	if strings.Contains(r.stderr, "mode") {
		t.Errorf("an input with a default was reported:\n%s", r.stderr)
	}
	// A denial and another problem: the problem wins (2).
	runMain(t, "schedule", "write", "inputs", "--role", "viewer", "--state-dir", state).want(t, ExitUsage, nil, []string{"step put", "input target"})
	runMain(t, "schedule", "ok", "--role", "veiwer", "--state-dir", state).want(t, ExitUsage, nil, []string{`unknown role "veiwer" (did you mean "viewer"?); the built-in policy (no --policy) defines admin, operator, viewer`})
	runMain(t, "schedule", "ok", "--policy", "missing.yaml", "--state-dir", state).want(t, ExitUsage, nil, []string{"missing.yaml", "nothing was scheduled"})
	runMain(t, "schedule", "ok", "--grace", "0s").want(t, ExitUsage, nil, []string{"--grace must be more than 0"})
	runMain(t, "schedule", "ok", "--max-concurrent-runs", "0").want(t, ExitUsage, nil, []string{"--max-concurrent-runs must be at least 1"})
	runMain(t, "schedule", "ok", "--listen", "localhost").want(t, ExitUsage, nil, []string{"--listen localhost: give HOST:PORT, or a bare port"})
	runMain(t, "schedule", "ok", "--log-format", "yaml").want(t, ExitUsage, nil, []string{"--log-format is console or json"})
	if _, err := os.Stat(state); !os.IsNotExist(err) {
		t.Errorf("the state dir was created (%v) although nothing was scheduled", err)
	}
}

func TestListenAddr(t *testing.T) {
	for in, want := range map[string]string{
		"9464": "127.0.0.1:9464", ":9464": "127.0.0.1:9464", "0": "127.0.0.1:0",
		"0.0.0.0:9464": "0.0.0.0:9464", "[::1]:80": "[::1]:80", "host.example:1": "host.example:1",
	} {
		got, err := listenAddr(in)
		if err != nil || got != want {
			t.Errorf("listenAddr(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for in, want := range map[string]string{
		"99999":        "port 99999 is out of range: give a port from 0 to 65535",
		"256.1.1.1:80": "256.1.1.1 is not an IPv4 address (four numbers from 0 to 255): give one of this host's addresses",
		"1.2.3:80":     "1.2.3 is not an IPv4 address",
	} {
		if got, err := listenAddr(in); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("listenAddr(%q) = %q, %v; want an error holding %q", in, got, err, want)
		}
	}
	for _, in := range []string{"70000", "host", "host:port", ":-1"} {
		if got, err := listenAddr(in); err == nil {
			t.Errorf("listenAddr(%q) = %q, want an error", in, got)
		}
	}
}

// TestDocsShowNextOutput keeps the --next examples of docs/cli.md and
// docs/scheduling.md what the command prints for the playbook they name,
// which the repository ships, at a moment before the Berlin spring change.
func TestDocsShowNextOutput(t *testing.T) {
	pb := loadExample(t, "nightly-maintenance")
	pb.File = "playbooks/nightly-maintenance.yaml" // as given on the command line
	for _, doc := range []string{"docs/cli.md", "docs/scheduling.md"} {
		text := repoFile(t, doc)
		m := regexp.MustCompile("(?s)\\$ arsenal-run schedule playbooks/nightly-maintenance.yaml --next (\\d+)\n(.*?)```").FindStringSubmatch(text)
		if m == nil {
			t.Errorf("%s shows no 'schedule playbooks/nightly-maintenance.yaml --next N' example", doc)
			continue
		}
		var n int
		fmt.Sscan(m[1], &n)
		var b bytes.Buffer
		if err := writeNextFires(&b, []*steps.Playbook{pb}, previewFrom{now: time.Date(2026, 3, 28, 12, 0, 0, 0, time.UTC)}, n); err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(m[2], b.String()); diff != "" {
			t.Errorf("%s shows other --next output (-doc +actual):\n%s", doc, diff)
		}
	}
}

// TestScheduleRefusesJitterOfAnInterval: a jitter at or above the time
// between fire times is refused at its key, by --next and before
// scheduling, saying what to do.
func TestScheduleRefusesJitterOfAnInterval(t *testing.T) {
	playbookDir(t, map[string]string{
		"j.yaml": "version: 1\nname: j\nschedule:\n  cron: \"@every 1m\"\n  jitter: 90s\nsteps:\n  - {id: a, op: control.noop}\n",
	})
	want := `j.yaml:5:11: schedule.jitter 90s is not shorter than the 1m between fire times of cron "@every 1m"`
	runMain(t, "validate", "j.yaml").want(t, ExitUsage, nil, []string{want, "make jitter shorter than 1m,"})
	runMain(t, "schedule", "j.yaml", "--next", "1").want(t, ExitUsage, nil, []string{want, "make jitter shorter than 1m,"})
	runMain(t, "schedule", "j.yaml", "--state-dir", t.TempDir()).want(t, ExitUsage, nil, []string{want, "nothing was scheduled"})
}

// TestScheduleBusyListenTouchesNothing: a --listen address in use is
// refused before the state dir is opened: nothing is created there.
func TestScheduleBusyListenTouchesNothing(t *testing.T) {
	playbookDir(t, map[string]string{"ok/a.yaml": scheduled("a", "@hourly")})
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	state := filepath.Join(t.TempDir(), "state")
	runMain(t, "schedule", "ok", "--state-dir", state, "--listen", busy.Addr().String()).
		want(t, ExitUsage, nil, []string{"--listen " + busy.Addr().String(), "another process listens there: stop it or choose another port; nothing was scheduled"})
	if _, err := os.Stat(state); !os.IsNotExist(err) {
		t.Errorf("the state dir was created: %v", err)
	}
}

// TestScheduleEnvInputThatDoesNotParse: a scheduled run's input from the
// environment that does not parse is reported at the input, once.
func TestScheduleEnvInputThatDoesNotParse(t *testing.T) {
	dir := t.TempDir()
	pb := writePlaybook(t, dir, "e.yaml", "version: 1\nname: e\nschedule: {cron: \"@hourly\"}\ninputs:\n  n: {type: integer, env: ARSENAL_TEST_NUMX, required: true}\nsteps:\n  - {id: a, op: control.noop}\n")
	t.Setenv("ARSENAL_TEST_NUMX", "abc")
	r := runMain(t, "schedule", pb, "--state-dir", filepath.Join(dir, "st"))
	r.want(t, ExitUsage, nil, []string{pb + `:5:3: input n (from $ARSENAL_TEST_NUMX): want an integer, got "abc"`})
	if strings.Contains(r.stderr, "inputs: inputs") {
		t.Errorf("doubled prefix:\n%s", r.stderr)
	}
}

// TestScheduleRefusesAnAuditLogItReads: --audit-log appends to its file,
// so a scheduled playbook or the policy named as the audit log is refused
// before anything is scheduled or written.
func TestScheduleRefusesAnAuditLogItReads(t *testing.T) {
	playbookDir(t, map[string]string{
		"ok/a.yaml":   scheduled("a", "@hourly"),
		"policy.yaml": "version: 1\nroles:\n  operator: {allow: ['*']}\n",
	})
	pb, _ := os.ReadFile("ok/a.yaml")
	runMain(t, "schedule", "ok", "--state-dir", "state", "--audit-log", "ok/a.yaml").want(t, ExitUsage, nil,
		[]string{"arsenal-run schedule: --audit-log ok/a.yaml: it is a scheduled playbook (ok/a.yaml); the audit log would append to it: give another path; nothing was scheduled"})
	runMain(t, "schedule", "ok", "--state-dir", "state", "--policy", "policy.yaml", "--audit-log", "policy.yaml").want(t, ExitUsage, nil,
		[]string{"--audit-log policy.yaml: it is the policy"})
	if got, _ := os.ReadFile("ok/a.yaml"); string(got) != string(pb) {
		t.Error("the playbook was changed")
	}
}

// schedule --listen has no keys: an address other hosts reach is warned
// of, since /healthz names the playbooks' files and errors; loopback is
// not.
func TestListenWarningOffLoopback(t *testing.T) {
	for _, tc := range []struct {
		ip   string
		warn bool
	}{{"127.0.0.1", false}, {"::1", false}, {"0.0.0.0", true}, {"::", true}, {"10.0.0.7", true}} {
		w := listenWarning(&net.TCPAddr{IP: net.ParseIP(tc.ip), Port: 9464})
		if (w != "") != tc.warn || (tc.warn && !strings.Contains(w, "need no key")) {
			t.Errorf("listenWarning(%s) = %q", tc.ip, w)
		}
	}
}
