package cli

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/arsenal-run/arsenal-run/pkg/auth"
	"github.com/arsenal-run/arsenal-run/pkg/ops"
	"github.com/arsenal-run/arsenal-run/pkg/ops/cluster"
	"github.com/arsenal-run/arsenal-run/pkg/runs"
	"github.com/arsenal-run/arsenal-run/pkg/server"
	"github.com/arsenal-run/arsenal-run/pkg/steps"
)

// load reads the keys, the policy and the playbooks, and checks the keys'
// roles against the policy; every problem, with its position, goes to
// problem. denied are the steps of scheduled playbooks the policy denies
// to the roles scheduled runs have (--schedule-role), each with its
// position: at start-up they stop serve, as they stop schedule; a reload
// takes the policy in anyway, so that rights can be taken away, and says
// which schedules it denies.
func (d *daemon) load(problem func(error)) (st server.State, denied []string, ok bool) {
	o := d.o
	ok = true
	policyOK := true
	if o.policy != "" {
		p, err := auth.LoadPolicy(o.policy, d.reg)
		if err != nil {
			problem(err)
			ok, policyOK = false, false
		} else {
			for _, w := range p.Warnings {
				d.warnf("%v", w)
			}
		}
		st.Policy = p
	}
	if st.Policy == nil {
		st.Policy = auth.Builtin()
	}
	keys, err := server.LoadKeys(o.keys)
	if err != nil {
		problem(err)
		ok = false
	} else if err := keys.CheckRoles(st.Policy); err != nil && ok {
		problem(err)
		ok = false
	}
	st.Keys = keys
	if o.playbooks != "" {
		pbs, err := server.LoadPlaybooks(o.playbooks, d.reg)
		if err != nil {
			problem(err)
			ok = false
		}
		st.Playbooks = pbs
	}
	if st.Playbooks != nil && !o.noSchedule {
		// Scheduled runs are given no inputs: each must come from a
		// default, from an env: variable --env-passthrough lets in, or from
		// an env file.
		// (With --no-schedule no run is scheduled: API runs give theirs.)
		set := &scheduleSet{}
		runEnv := o.runEnv()
		for _, pb := range st.Playbooks.Scheduled() {
			set.checkInputs(d.reg, pb, runEnv.LookupEnv)
			fileVars, _ := steps.ReadEnvFiles(pb) // checkInputs says what is wrong with them
			for _, in := range pb.Inputs {
				_, inFile := fileVars[in.Env]
				if _, has := os.LookupEnv(in.Env); in.Env != "" && has && !inFile && !slices.Contains(o.envPass, in.Env) {
					problem(fmt.Errorf("%s:%d:%d: input %s reads $%s, which serve's environment has but --env-passthrough does not let runs see: add %s to --env-passthrough, or unset it",
						pb.File, in.Pos.Line, in.Pos.Col, in.Name, in.Env, in.Env))
					ok = false
				}
			}
		}
		for _, msg := range set.problems {
			problem(errors.New(msg + " (serve's runs see only the variables --env-passthrough names)"))
			ok = false
		}
	}
	if st.Playbooks != nil && policyOK {
		// A cache: the policy refuses would fail every run of the
		// playbook, from the API or its schedule, before it starts.
		// (Against the policy meant, not the built-in one standing in
		// for a policy file that does not load.)
		for _, pb := range st.Playbooks.All() {
			if probs := st.Policy.CacheProblems(pb); len(probs) > 0 {
				problem(probs)
				ok = false
			}
		}
	}
	if policyOK && !o.noSchedule {
		// Every --schedule-role, at start-up and after a reload that
		// changed the policy: runs with a role the policy lacks would
		// all be denied.
		msg := unknownRole(st.Policy, o.scheduleRoles(), "")
		if msg != "" {
			problem(errors.New("--schedule-role: " + msg))
			ok = false
		}
		if st.Playbooks != nil && msg == "" {
			set := &scheduleSet{}
			for _, pb := range st.Playbooks.Scheduled() {
				set.preflight(st.Policy, o.scheduleRoles(), pb, d.reg, d.inv)
			}
			denied = set.problems
		}
	}
	return st, denied, ok
}

// schedRolesHint says which roles serve's scheduled runs have, and how
// to give them others, after a denial of a scheduled playbook's step.
func (d *daemon) schedRolesHint() string {
	roles := d.o.scheduleRoles()
	what := "role "
	if len(roles) > 1 {
		what = "roles "
	}
	return "serve's scheduled runs have " + what + strings.Join(roles, ", ") + "; --schedule-role gives them others"
}

// reload rereads keys, policy and playbooks; a problem in any keeps all
// three as they were. The TLS files are reread apart, all or nothing too:
// a certificate that does not load keeps the one in force, and does not
// hold back a change of keys. Plugins are not reread: it says when their
// manifests changed.
func (d *daemon) reload(srv *server.Server, sched *schedules) {
	if msg := d.e.pluginsChanged(); msg != "" {
		d.warnf("SIGHUP: %s", msg)
	}
	if msg := d.o.remote.inventoryChanged(); msg != "" {
		d.warnf("SIGHUP: %s", msg)
	}
	if d.tls != nil {
		if err := d.tls.Reload(); err != nil {
			d.errorf("SIGHUP: %v", err)
			d.errorf("SIGHUP: kept %s", d.tls.Describe(time.Now()))
		} else {
			d.infof("SIGHUP: reloaded %s", d.tls.Describe(time.Now()))
		}
		if msg := d.tls.Warning(time.Now(), keyExpiryNotice); msg != "" {
			d.warnf("SIGHUP: %s", msg)
		}
	}
	st, denied, ok := d.load(d.logProblem)
	if !ok {
		d.errorf("SIGHUP: kept the previous keys, policy and playbooks")
		return
	}
	if err := srv.Reload(st); err != nil {
		d.logProblem(err)
		d.errorf("SIGHUP: kept the previous keys, policy and playbooks")
		return
	}
	d.rs.st.Store(&st)
	sched.reload(st.Playbooks.Scheduled(), st.Policy)
	d.warnAimed(st.Playbooks.All())
	d.infof("SIGHUP: reloaded %s", d.reloaded(st))
	d.warnExpiry("SIGHUP: ", st.Keys, time.Now())
	// Said again while it holds, under the policy now in force: the
	// warning of the start has long scrolled away, and a reload is when
	// a role without file_roots comes in, or a fix is checked.
	if msg := rootWorkdir("serve", st.Policy, nil, d.o.policy); msg != "" {
		d.warnf("SIGHUP: %s", msg)
	}
	for _, msg := range denied {
		d.errorf("SIGHUP: the policy now denies a scheduled run: %s; its runs will be denied until the playbook or the policy changes (%s)", msg, d.schedRolesHint())
	}
}

// reloaded says what a reload put in place, each with the file it came
// from, the policy included: whoever reads the log after editing one of
// them sees whether it was the one taken in.
func (d *daemon) reloaded(st server.State) string {
	o := d.o
	keys := plural(keyCount(st.Keys), "key", "keys")
	if st.Keys != nil {
		if _, certs := st.Keys.Len(); certs > 0 {
			keys += " and " + plural(certs, "certificate subject", "certificate subjects")
		}
	}
	policy := "the built-in policy"
	if o.policy != "" {
		policy = "the policy " + o.policy
	}
	playbooks := "no playbooks (no --playbooks)"
	if o.playbooks != "" {
		playbooks = plural(len(st.Playbooks.All()), "playbook", "playbooks") + " from " + o.playbooks
	}
	return fmt.Sprintf("%s from %s, %s and %s", keys, o.keys, policy, playbooks)
}

// keyExpiryNotice is how long before its end serve warns of a key.
const keyExpiryNotice = 7 * 24 * time.Hour

// warnExpiry warns of a keys file with no entry at all, and of the keys
// of the keys file that have expired, which every request is refused
// with, and of those that expire within keyExpiryNotice: at start, and
// with prefix "SIGHUP: " after a reload.
func (d *daemon) warnExpiry(prefix string, keys *server.Keys, now time.Time) {
	if keys == nil {
		return
	}
	if n, certs := keys.Len(); n == 0 && certs == 0 {
		d.warnf("%sthe keys file %s has no keys and no certs, so every request is refused; add entries made with '%s keys new --name NAME --role ROLE', then send SIGHUP",
			prefix, d.o.keys, program)
		return
	}
	expired, soon := keys.Expiring(now, keyExpiryNotice)
	list := func(ks []server.KeyExpiry) string {
		out := make([]string, len(ks))
		for i, k := range ks {
			out[i] = k.Name + " at " + k.Expires.UTC().Format(time.RFC3339)
		}
		return strings.Join(out, ", ")
	}
	them := func(ks []server.KeyExpiry) string { return map[bool]string{true: "it", false: "them"}[len(ks) == 1] }
	if len(expired) > 0 {
		what := fmt.Sprintf("%s of the keys file %s expired, and requests with %s are refused: ", plural(len(expired), "key", "keys"), d.o.keys, them(expired))
		if n, certs := keys.Len(); n == len(expired) {
			what = "every key of the keys file " + d.o.keys + " has expired, so no key is accepted"
			if certs > 0 {
				what += " (only its certs: entries still authenticate)"
			}
			what += ": "
		}
		d.warnf("%s%s%s; make new keys with '%s keys new --name NAME --role ROLE --expires 90d', put their entries in place of these, then send SIGHUP",
			prefix, what, list(expired), program)
	}
	if len(soon) > 0 {
		d.warnf("%s%s of the keys file %s will expire within %d days: %s; replace %s before then ('%s keys new', then SIGHUP)",
			prefix, plural(len(soon), "key", "keys"), d.o.keys, int(keyExpiryNotice.Hours()/24), list(soon), them(soon), program)
	}
}

func keyCount(k *server.Keys) int {
	if k == nil {
		return 0
	}
	n, _ := k.Len()
	return n
}

// inventoryNodes reads an inventory file as the cluster ops take their
// nodes param. The file is the server's own configuration, so it is read
// from wherever it is, not from a caller's file roots.
func inventoryNodes(path string) ([]any, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, err
	}
	ctx := ops.WithCall(context.Background(), &ops.Call{Dir: filepath.Dir(abs)})
	nodes, err := cluster.LoadInventory(ctx, abs)
	if err != nil {
		return nil, err
	}
	out := make([]any, len(nodes))
	for i, n := range nodes {
		m := map[string]any{"name": n.Name}
		if n.URL != "" {
			m["url"] = n.URL
		} else {
			m["address"] = n.Address
		}
		if len(n.Labels) > 0 {
			labels := map[string]any{}
			for k, v := range n.Labels {
				labels[k] = v
			}
			m["labels"] = labels
		}
		out[i] = m
	}
	return out, nil
}

// logProblem logs each line of err, a problem of the configuration (one
// file:line:col message a line), as an error line of its own: under
// --log-format json with its position in the file, line and column
// fields, as schedule writes the problems of a reload it refuses, so that
// a log collector finds each problem by its file.
func (d *daemon) logProblem(err error) {
	for line := range strings.SplitSeq(err.Error(), "\n") {
		switch {
		case line == "":
		case d.o.logFormat == "json":
			logLocated(d.log.Error(), line)
		default:
			d.log.Error().Msg(line)
		}
	}
}

// runEnv is the environment every run of serve sees: the variables
// --env-passthrough names, nothing else.
func (o *serveOptions) runEnv() runs.AllowEnv {
	return runs.AllowEnv{From: runs.ProcessEnv{}, Names: o.envPass}
}

// warnAimed warns, a line for each, of the playbooks whose runs an API
// caller could aim at a host of theirs while they hold a secret the
// caller may not give (runs.AimWarning): such a run is refused the step
// that connects, and an enum or a pattern on the input is the fix. pbs
// are those served: at start once the configuration is taken in, after
// a reload that took it in. Under --log-format json the position is the
// line's file, line and column.
func (d *daemon) warnAimed(pbs []*steps.Playbook) {
	base := runs.MapEnv{}
	for _, kv := range d.o.runEnv().Environ() {
		if k, v, ok := strings.Cut(kv, "="); ok {
			base[k] = v
		}
	}
	for _, pb := range pbs {
		env := base
		if vars, _ := steps.ReadEnvFiles(pb); len(vars) > 0 {
			env = maps.Clone(base)
			for k, v := range vars {
				if _, ok := env[k]; !ok {
					env[k] = v
				}
			}
		}
		switch w := runs.AimWarning(d.reg, pb, env); {
		case w == "":
		case d.o.logFormat == "json":
			logLocated(d.log.Warn(), w)
		default:
			d.warnf("%s", w)
		}
	}
}
