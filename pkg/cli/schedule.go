package cli

import (
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/arsenal-run/arsenal-run/pkg/ops"
	"github.com/arsenal-run/arsenal-run/pkg/scheduler"
	"github.com/arsenal-run/arsenal-run/pkg/steps"
)

// maxNext bounds --next.
const maxNext = 1000

func scheduleCommand() *command {
	return &command{
		name:    "schedule",
		summary: "run playbooks on their cron schedules; --next previews fire times",
		synopsis: `schedule PLAYBOOK|DIR... --next N
schedule PLAYBOOK|DIR... [--state-dir DIR] [--role R]... [--policy FILE] [--listen ADDR] [--grace D] [--max-concurrent-runs N]`,
		help: `Run every given playbook that has a schedule: block, on its schedule. A
directory stands for the *.yaml and *.yml files in it that have a schedule:
block. Everything is validated first; a playbook with problems is printed as
file:line:column: message and nothing is scheduled.

--next N prints, for each playbook, its next N fire times (the slots, before
jitter) in RFC 3339, in the playbook's time zone and in UTC, and exits. It
needs no state dir.

Running the schedules (without --next) starts runs through the run service,
which this build does not have yet: it validates the playbooks and stops
there, with exit code 2. See docs/scheduling.md for how scheduling behaves.`,
		exits: "0 --next printed; 2 a playbook does not validate, bad usage, or scheduling without --next (not in this build yet).",
		run:   runSchedule,
	}
}

func runSchedule(e *env, args []string) int {
	c := scheduleCommand()
	fs := newFlags(e, c)
	next := fs.Int("next", 0, "print the next `N` fire times of each playbook and exit")
	fs.String("state-dir", "", "keep the history and the record of fired slots in `DIR` (default $ARSENAL_STATE_DIR, else $XDG_STATE_HOME/arsenal-run)")
	var roles listFlag
	fs.Var(&roles, "role", "run the playbooks with role `R` (repeatable)")
	fs.String("policy", "", "read roles from the policy `FILE`")
	fs.String("listen", "", "serve /healthz and /metrics on `ADDR` (a bare port means loopback)")
	fs.Duration("grace", scheduler.DefaultGrace, "on SIGTERM, wait `D` for running runs before cancelling them")
	fs.Int("max-concurrent-runs", scheduler.DefaultMaxConcurrentRuns, "at most `N` runs of one playbook at once under overlap: allow")
	pos, code, ok := fs.parse(args)
	if !ok {
		return code
	}
	if len(pos) == 0 {
		return fs.usageError("give at least one playbook or directory, like 'schedule playbooks/ --next 5'")
	}
	nextSet := false
	fs.Visit(func(f *flag.Flag) { nextSet = nextSet || f.Name == "next" })
	if nextSet && (*next < 1 || *next > maxNext) {
		return fs.usageError("--next must be between 1 and %d", maxNext)
	}
	reg, code := e.registry()
	if code != ExitOK {
		return code
	}
	defer reg.Close()
	pbs, ok := loadScheduled(e, reg, pos)
	if !ok {
		return ExitUsage
	}
	if !nextSet {
		e.errorf("schedule: %s valid, but running schedules needs the run service, which this build does not have yet; use --next N to preview fire times", plural(len(pbs), "playbook is", "playbooks are"))
		return ExitUsage
	}
	if err := writeNextFires(e.stdout, pbs, time.Now(), *next); err != nil {
		e.errorf("schedule: %v", err)
		return ExitUsage
	}
	return ExitOK
}

// loadScheduled loads the playbooks named by paths: files must have a
// schedule; directories stand for their *.yaml and *.yml files that have
// one. Every problem is printed before it returns false.
func loadScheduled(e *env, reg *ops.Registry, paths []string) ([]*steps.Playbook, bool) {
	var pbs []*steps.Playbook
	bad := false
	byName := map[string]string{}
	add := func(pb *steps.Playbook) {
		if other, dup := byName[pb.Name]; dup {
			fmt.Fprintf(e.stderr, "%s: playbook name %s is also used by %s; scheduled playbooks need names of their own\n", pb.File, pb.Name, other)
			bad = true
			return
		}
		byName[pb.Name] = pb.File
		pbs = append(pbs, pb)
	}
	load := func(file string) *steps.Playbook {
		pb, err := steps.Load(file, reg)
		if err != nil {
			fmt.Fprintln(e.stderr, err)
			bad = true
			return nil
		}
		return pb
	}
	for _, p := range paths {
		st, err := os.Stat(p)
		if err != nil || !st.IsDir() {
			pb := load(p)
			if pb == nil {
				continue
			}
			if pb.Schedule == nil {
				fmt.Fprintf(e.stderr, "%s: has no schedule: block; schedule runs only playbooks that have one (see docs/playbooks.md#schedule)\n", p)
				bad = true
				continue
			}
			add(pb)
			continue
		}
		var files []string
		for _, pat := range []string{"*.yaml", "*.yml"} {
			m, _ := filepath.Glob(filepath.Join(p, pat))
			files = append(files, m...)
		}
		sort.Strings(files)
		found, badBefore := 0, bad
		bad = false
		for _, f := range files {
			if pb := load(f); pb != nil && pb.Schedule != nil {
				add(pb)
				found++
			}
		}
		if found == 0 && !bad {
			fmt.Fprintf(e.stderr, "%s: no playbooks with a schedule: block in this directory\n", p)
			bad = true
		}
		bad = bad || badBefore
	}
	if bad {
		fmt.Fprintln(e.stderr, "nothing was scheduled; fix the problems above")
		return nil, false
	}
	return pbs, true
}

// writeNextFires prints the next n slots after from of each playbook: a
// header line, then one line per slot, in the playbook's zone and in UTC.
func writeNextFires(w io.Writer, pbs []*steps.Playbook, from time.Time, n int) error {
	var b strings.Builder
	for i, pb := range pbs {
		tt, err := scheduler.ForSchedule(pb.Schedule)
		if err != nil {
			return fmt.Errorf("%s: %w", pb.File, err)
		}
		if i > 0 {
			b.WriteString("\n")
		}
		fmt.Fprintf(&b, "%s (%s): cron %q, time zone %s\n", pb.Name, pb.File, pb.Schedule.Cron, tt.Location())
		at := from
		for range n {
			at = tt.Next(at)
			if at.IsZero() {
				b.WriteString("  no later fire time in the next five years\n")
				break
			}
			fmt.Fprintf(&b, "  %-25s  %s\n", at.Format(time.RFC3339), at.UTC().Format(time.RFC3339))
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}
