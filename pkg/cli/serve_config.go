package cli

import (
	"context"
	"path/filepath"
	"strings"

	"github.com/arsenal-run/arsenal-run/pkg/auth"
	"github.com/arsenal-run/arsenal-run/pkg/ops"
	"github.com/arsenal-run/arsenal-run/pkg/ops/cluster"
	"github.com/arsenal-run/arsenal-run/pkg/server"
)

// load reads the keys, the policy and the playbooks, and checks the keys'
// roles against the policy; every problem, with its position, goes to
// problem.
func (d *daemon) load(problem func(error)) (server.State, bool) {
	o := d.o
	var st server.State
	ok, policyOK := true, true
	if o.policy != "" {
		p, err := auth.LoadPolicy(o.policy, d.reg)
		if err != nil {
			problem(err)
			ok, policyOK = false, false
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
	return st, ok
}

// reload rereads keys, policy and playbooks; a problem in any keeps all
// three as they were.
func (d *daemon) reload(srv *server.Server, sched *schedules) {
	st, ok := d.load(d.logProblem)
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
	sched.reload(st.Playbooks.Scheduled())
	d.infof("SIGHUP: reloaded %s and %s", plural(keyCount(st.Keys), "key", "keys"), plural(len(st.Playbooks.All()), "playbook", "playbooks"))
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
// file:line:col message a line), as an error line of its own.
func (d *daemon) logProblem(err error) {
	for line := range strings.SplitSeq(err.Error(), "\n") {
		if line != "" {
			d.log.Error().Msg(line)
		}
	}
}
