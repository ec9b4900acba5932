package cli

import (
	"bytes"
	"fmt"
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
	if err := writeNextFires(&b, pbs, time.Date(2026, 3, 28, 12, 0, 0, 0, time.UTC), 3); err != nil {
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
// file without schedule, a directory without any, duplicate names, a bad
// --next, and running the schedules, which needs the run service.
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
	r.want(t, ExitUsage, nil, []string{"nothing was scheduled"})
	if !regexp.MustCompile(`(?m)^bad/b\.yaml:4:9: cron 0 0 30 2 \* never fires`).MatchString(r.stderr) || r.stdout != "" {
		t.Errorf("stderr:\n%s\nstdout:\n%s", r.stderr, r.stdout)
	}
	runMain(t, "schedule", "plain.yaml", "--next", "1").want(t, ExitUsage, nil, []string{"plain.yaml: has no schedule: block"})
	runMain(t, "schedule", "empty", "--next", "1").want(t, ExitUsage, nil, []string{"empty: no playbooks with a schedule: block in this directory"})
	runMain(t, "schedule", "ok", "dup", "--next", "1").want(t, ExitUsage, nil, []string{"dup/a.yaml: playbook name a is also used by ok/a.yaml"})
	runMain(t, "schedule", "ok", "--next", "0").want(t, ExitUsage, nil, []string{"--next must be between 1 and 1000"})
	runMain(t, "schedule", "--next", "1").want(t, ExitUsage, nil, []string{"give at least one playbook or directory"})
	runMain(t, "schedule", "ok").want(t, ExitUsage, nil, []string{"schedule: 1 playbook is valid, but running schedules needs the run service"})
}

// TestDocsShowNextOutput keeps the --next examples of docs/cli.md and
// docs/scheduling.md what the command prints, for a moment before the
// Berlin spring change.
func TestDocsShowNextOutput(t *testing.T) {
	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Fatal(err)
	}
	pb := &steps.Playbook{Name: "nightly", File: "playbooks/nightly.yaml", Schedule: &steps.Schedule{Cron: "30 2 * * *", Location: berlin}}
	for _, doc := range []string{"docs/cli.md", "docs/scheduling.md"} {
		text := repoFile(t, doc)
		m := regexp.MustCompile("(?s)\\$ arsenal-run schedule playbooks/nightly.yaml --next (\\d+)\n(.*?)```").FindStringSubmatch(text)
		if m == nil {
			t.Errorf("%s shows no 'schedule playbooks/nightly.yaml --next N' example", doc)
			continue
		}
		var n int
		fmt.Sscan(m[1], &n)
		var b bytes.Buffer
		if err := writeNextFires(&b, []*steps.Playbook{pb}, time.Date(2026, 3, 28, 12, 0, 0, 0, time.UTC), n); err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(m[2], b.String()); diff != "" {
			t.Errorf("%s shows other --next output (-doc +actual):\n%s", doc, diff)
		}
	}
}
