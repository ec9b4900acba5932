package cli

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/arsenal-run/arsenal-run/pkg/auth"
	"github.com/arsenal-run/arsenal-run/pkg/engine"
	"github.com/arsenal-run/arsenal-run/pkg/inventory"
	"github.com/arsenal-run/arsenal-run/pkg/ops"
	"github.com/arsenal-run/arsenal-run/pkg/steps"
)

// scheduleSet is what `schedule` checks before it schedules anything, at
// start and on every reload: the playbooks named on the command line and,
// when authorization is checked, the policy they run under.
type scheduleSet struct {
	pbs    []*steps.Playbook
	policy *auth.Policy // nil: the built-in policy
	// problems are file:line:column messages; denied says some of them
	// are steps the preflight denied (exit 3 rather than 2, when they are
	// the only problems).
	problems []string
	warnings []string
	denied   int
	// noneIn are the directories named that hold no playbook with a
	// schedule: block (each is one of the problems).
	noneIn []string
}

// err joins the problems into one error, for the log and /healthz.
func (s *scheduleSet) err() error {
	if len(s.problems) == 0 {
		return nil
	}
	return errors.New(strings.Join(s.problems, "\n"))
}

// checkSchedule loads the playbooks named by paths (a directory stands for
// its *.yaml and *.yml files with a schedule: block), reads the policy
// file when one is given, and checks every playbook as the scheduler will
// run it: with roles, with no inputs given, through the preflight, which
// judges the literal hosts of ssh.* steps by the runs' inventory inv (nil
// without --inventory). Every problem is collected; none stops the others
// from being found.
func checkSchedule(reg *ops.Registry, paths []string, policyFile string, roles []string, rolesFrom string, lookupEnv func(string) (string, bool), inv *inventory.Inventory) *scheduleSet {
	set := &scheduleSet{}
	// The playbooks that loaded are checked whatever else is wrong (a
	// file that does not load, a name used twice), so that one pass
	// reports every problem; only the checks that need the policy and
	// the roles wait for them to be right.
	var dups []*steps.Playbook // checked like the others, never scheduled
	set.pbs, dups = loadScheduledSet(set, reg, paths)
	policy := auth.Builtin()
	policyOK, rolesOK := true, true
	if policyFile != "" {
		p, err := auth.LoadPolicy(policyFile, reg)
		if err != nil {
			set.problems = append(set.problems, err.Error())
			policyOK = false
		} else {
			policy, set.policy = p, p
			for _, w := range p.Warnings {
				set.warnings = append(set.warnings, w.Error())
			}
		}
	}
	if policyOK {
		if msg := unknownRole(policy, roles, rolesFrom); msg != "" {
			set.problems = append(set.problems, msg)
			rolesOK = false
		}
	}
	for _, pb := range append(slices.Clip(set.pbs), dups...) {
		set.checkInputs(reg, pb, lookupEnv)
		set.checkConfirms(pb)
		if !policyOK {
			continue
		}
		if probs := policy.CacheProblems(pb); len(probs) > 0 {
			set.problems = append(set.problems, probs.Error())
		}
		if rolesOK {
			set.preflight(policy, roles, pb, reg, inv)
		}
	}
	return set
}

// loadScheduledSet loads the playbooks: files must have a schedule;
// directories stand for their playbooks (steps.DirPlaybooks) that have one.
func loadScheduledSet(set *scheduleSet, reg *ops.Registry, paths []string) (pbs, dups []*steps.Playbook) {
	byName := map[string]*steps.Playbook{}
	add := func(pb *steps.Playbook) {
		if other, dup := byName[pb.Name]; dup {
			set.problems = append(set.problems, fmt.Sprintf("%s: playbook name %s is also used by %s; scheduled playbooks need names of their own: rename one of them",
				pb.NameLocation(), pb.Name, other.NameLocation()))
			dups = append(dups, pb)
			return
		}
		byName[pb.Name] = pb
		pbs = append(pbs, pb)
	}
	load := func(file string) *steps.Playbook {
		// Its runs get --roles: one another user could swap would
		// run what they like with them.
		if msg := steps.Swappable(file); msg != "" {
			set.problems = append(set.problems, fmt.Sprintf("%s: %s", file, msg))
			return nil
		}
		pb, err := steps.Load(file, reg, steps.WithSwapCheck())
		if err != nil {
			set.problems = append(set.problems, strings.TrimRight(err.Error(), "\n"))
			return nil
		}
		for _, w := range pb.Warnings {
			set.warnings = append(set.warnings, w.Error())
		}
		return pb
	}
	// A file reached twice (a directory and a file of it, jobs and
	// jobs/) is one playbook, loaded once: not one whose name is also
	// used by itself. reached holds it once it loaded with a schedule.
	reached := map[string]*steps.Playbook{}
	key := func(f string) string {
		if abs, err := filepath.Abs(f); err == nil {
			return abs
		}
		return filepath.Clean(f)
	}
	seen := func(f string) (pb *steps.Playbook, ok bool) {
		pb, ok = reached[key(f)]
		reached[key(f)] = pb
		return pb, ok
	}
	keep := func(f string, pb *steps.Playbook) { reached[key(f)] = pb }
	for _, p := range paths {
		st, err := os.Stat(p)
		if err != nil || !st.IsDir() {
			if _, again := seen(p); again {
				continue
			}
			pb := load(p)
			if pb == nil {
				continue
			}
			if pb.Schedule == nil {
				set.problems = append(set.problems, fmt.Sprintf("%s: has no schedule: block; schedule runs only playbooks that have one (see docs/playbooks.md#schedule)", p))
				continue
			}
			keep(p, pb)
			add(pb)
			continue
		}
		if _, again := seen(p); again {
			continue
		}
		if msg := steps.SwappableDir(p); msg != "" {
			set.problems = append(set.problems, fmt.Sprintf("%s: %s", p, msg))
			continue
		}
		files, _, err := steps.DirPlaybooks(p) // arsenal-run's other files left out, as validate says
		if err != nil {
			set.problems = append(set.problems, fmt.Sprintf("%s: cannot list the playbooks: %v", p, err))
			continue
		}
		found, before := 0, len(set.problems)
		for _, f := range files {
			if pb, again := seen(f); again {
				if pb != nil {
					found++
				}
				continue
			}
			if pb := load(f); pb != nil && pb.Schedule != nil {
				keep(f, pb)
				add(pb)
				found++
			}
		}
		if found == 0 && len(set.problems) == before {
			set.problems = append(set.problems, fmt.Sprintf("%s: no playbooks with a schedule: block in this directory: give one of its playbooks a schedule: block (see docs/playbooks.md#schedule), or name another directory", p))
			set.noneIn = append(set.noneIn, p)
		}
	}
	return pbs, dups
}

// checkConfirms warns of the confirm: steps of a scheduled playbook: a
// scheduled run has nobody to ask, so each is denied, every time it is
// reached; said at start and on reload rather than once a night in a
// failed run.
func (set *scheduleSet) checkConfirms(pb *steps.Playbook) {
	for _, s := range pb.AllSteps() {
		if s.Confirm == nil {
			continue
		}
		when := "every scheduled run"
		if s.When != nil {
			when = "every scheduled run whose when: holds"
		}
		set.warnings = append(set.warnings, fmt.Sprintf("%s:%d:%d: warning: step %s asks confirm:, which %s denies: %s",
			pb.File, s.Confirm.Pos.Line, s.Confirm.Pos.Col, s.ID, when, scheduledConfirmHint))
	}
}

// checkInputs: a scheduled run is given no inputs, so each input must get
// its value from a default, from its env: variable, which the playbook's
// env files may set, or from its from_file, which must be there.
func (set *scheduleSet) checkInputs(reg *ops.Registry, pb *steps.Playbook, lookupEnv func(string) (string, bool)) {
	lookupEnv, err := envFileLookup(pb, lookupEnv)
	if err != nil {
		set.problems = append(set.problems, fmt.Sprintf("%s: %v", pb.File, err))
		return
	}
	bad := false
	for _, in := range pb.Inputs {
		if in.Default != nil || !in.Required {
			continue
		}
		if in.Env != "" {
			if _, ok := lookupEnv(in.Env); ok {
				continue
			}
		}
		if in.FromFile != "" && inputFileExists(pb.Dir, in.FromFile) {
			continue // read and checked below, as its runs will read it
		}
		var missing, fix []string
		if in.Env != "" {
			missing = append(missing, "$"+in.Env+" is not set")
			fix = append(fix, "set $"+in.Env+" for the scheduler or in the playbook's env_file")
		}
		if in.FromFile != "" {
			missing = append(missing, in.FromFile+" does not exist")
			fix = append(fix, "create "+in.FromFile)
		}
		msg := fmt.Sprintf("%s:%d:%d: input %s is required", pb.File, in.Pos.Line, in.Pos.Col, in.Name)
		if len(missing) > 0 {
			msg += " and " + strings.Join(missing, " and ") + "; scheduled runs are given no inputs: " + strings.Join(fix, ", ") + ", or give the input a default"
		} else {
			msg += "; scheduled runs are given no inputs: give it a default (or env: to read it from the scheduler's environment, or from_file: to read it from a file)"
		}
		set.problems = append(set.problems, msg)
		bad = true
	}
	if bad {
		return
	}
	// Values from the environment must parse as their type, and defaults
	// fit their rules.
	_, err = engine.New(reg).Plan(pb).ResolveInputs(nil, lookupEnv)
	var ie *engine.InputError
	if !errors.As(err, &ie) {
		if err != nil {
			set.problems = append(set.problems, fmt.Sprintf("%s: %v", pb.File, err))
		}
		return
	}
	// Each problem starts with the input's name: at its position.
	for _, p := range ie.Problems {
		name, _, _ := strings.Cut(p, " ")
		name, _, _ = strings.Cut(name, ":")
		pos := steps.Pos{Line: 1, Col: 1}
		if in := pb.Input(name); in != nil {
			pos = in.Pos
		}
		set.problems = append(set.problems, fmt.Sprintf("%s:%d:%d: input %s", pb.File, pos.Line, pos.Col, p))
	}
}

// inputFileExists tells whether an input's from_file is there to read,
// relative to the playbook's directory dir or absolute, as a run reads it.
func inputFileExists(dir, name string) bool {
	if !filepath.IsAbs(name) {
		name = filepath.Join(dir, name)
	}
	_, err := os.Stat(name)
	return err == nil
}

// envFileLookup is lookupEnv with the variables of pb's env files added
// for the names it does not set, as each run's environment has them: an
// input's env: may be set by an env file beside the playbook.
func envFileLookup(pb *steps.Playbook, lookupEnv func(string) (string, bool)) (func(string) (string, bool), error) {
	vars, err := steps.ReadEnvFiles(pb)
	if err != nil || len(vars) == 0 {
		return lookupEnv, err
	}
	return func(name string) (string, bool) {
		if v, ok := lookupEnv(name); ok {
			return v, true
		}
		v, ok := vars[name]
		return v, ok
	}, nil
}

// preflight authorizes every step of pb for roles, as each run will be
// before it starts, with the runs' inventory inv; a denied step is a
// problem at the step's position.
func (set *scheduleSet) preflight(policy *auth.Policy, roles []string, pb *steps.Playbook, reg *ops.Registry, inv *inventory.Inventory) {
	decisions, err := policy.Preflight(roles, pb, reg, auth.WithInventory(inv))
	if err != nil {
		set.problems = append(set.problems, fmt.Sprintf("%s: authorization: %v", pb.File, err))
		return
	}
	pos := map[string]steps.Pos{}
	for _, st := range pb.AllSteps() {
		pos[st.ID] = st.Pos
	}
	who := "role " + strings.Join(roles, ", ")
	if len(roles) > 1 {
		who = "roles " + strings.Join(roles, ", ")
	}
	for _, d := range auth.Denied(decisions) {
		top, _, nested := strings.Cut(d.Step, "/")
		p := pos[top]
		where := ""
		if nested {
			where = " (in " + d.Playbook + ")"
		}
		set.problems = append(set.problems, fmt.Sprintf("%s:%d:%d: step %s%s: op %s (%s) is denied for %s: %s",
			pb.File, p.Line, p.Col, d.Step, where, d.Op, d.Risk, who, d.Decision.Rule))
		set.denied++
	}
}
