package cli

import (
	"context"
	"fmt"
	"path/filepath"

	"github.com/arsenal-run/arsenal-run/pkg/auth"
	"github.com/arsenal-run/arsenal-run/pkg/ops"
	"github.com/arsenal-run/arsenal-run/pkg/ops/cluster"
	"github.com/arsenal-run/arsenal-run/pkg/server"
)

// load reads the keys, the policy and the playbooks, and checks the keys'
// roles against the policy; every problem is printed with its position.
func (d *daemon) load() (server.State, bool) {
	e, o := d.e, d.o
	var st server.State
	ok := true
	if o.policy != "" {
		p, err := auth.LoadPolicy(o.policy, d.reg)
		if err != nil {
			fmt.Fprintln(e.stderr, err)
			ok = false
		}
		st.Policy = p
	}
	if st.Policy == nil {
		st.Policy = auth.Builtin()
	}
	keys, err := server.LoadKeys(o.keys)
	if err != nil {
		fmt.Fprintln(e.stderr, err)
		ok = false
	} else if err := keys.CheckRoles(st.Policy); err != nil && ok {
		fmt.Fprintln(e.stderr, err)
		ok = false
	}
	st.Keys = keys
	if o.playbooks != "" {
		pbs, err := server.LoadPlaybooks(o.playbooks, d.reg)
		if err != nil {
			fmt.Fprintln(e.stderr, err)
			ok = false
		}
		st.Playbooks = pbs
	}
	return st, ok
}

// reload rereads keys, policy and playbooks; a problem in any keeps all
// three as they were.
func (d *daemon) reload(srv *server.Server, sched *runningScheduler) {
	st, ok := d.load()
	if !ok {
		d.logf("SIGHUP: kept the previous keys, policy and playbooks")
		return
	}
	if err := srv.Reload(st); err != nil {
		fmt.Fprintln(d.e.stderr, err)
		d.logf("SIGHUP: kept the previous keys, policy and playbooks")
		return
	}
	d.rs.st.Store(&st)
	if sched != nil && !d.o.noSchedule {
		if err := sched.s.Reload(st.Playbooks.Scheduled()); err != nil {
			d.logf("SIGHUP: the scheduler kept its playbooks: %v", err)
		}
	}
	d.logf("SIGHUP: reloaded %s and %s", plural(keyCount(st.Keys), "key", "keys"), plural(len(st.Playbooks.All()), "playbook", "playbooks"))
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
