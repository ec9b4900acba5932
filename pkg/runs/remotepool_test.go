package runs

import (
	"context"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/arsenal-run/arsenal-run/pkg/ops"
	"github.com/arsenal-run/arsenal-run/pkg/ops/remote"
)

// hostOp stands in for an ssh.* operation (remote.HostTarget): it says
// whether its call had a pool of the run's own.
type hostOp struct{ pools *poolSeen }

func (o hostOp) HostParam() string { return "host" }
func (o hostOp) Execute(ctx context.Context, _ ops.Params) (map[string]any, error) {
	o.pools.see("test.host", remote.PoolFrom(ctx))
	return nil, nil
}

// poolSeen keeps, by operation, the pools its calls found.
type poolSeen struct {
	mu   sync.Mutex
	seen map[string][]*remote.Pool
}

func (p *poolSeen) see(op string, pool *remote.Pool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.seen[op] = append(p.seen[op], pool)
}

// TestRemotePoolOnlyForRunsThatMayConnect holds a run to a connection
// pool of its own when it may reach a host, an ssh.* step's or one of a
// sub-playbook's, and to none when it cannot: an API execute of a local
// operation made and closed a pool it never used.
func TestRemotePoolOnlyForRunsThatMayConnect(t *testing.T) {
	pools := &poolSeen{seen: map[string][]*remote.Pool{}}
	reg := newRegistry(t)
	reg.MustRegister(ops.Spec{Name: "test.host", Risk: ops.RiskRead, Params: []ops.Param{{Name: "host", Type: ops.TypeString}}}, hostOp{pools})
	reg.MustRegister(ops.Spec{Name: "test.local", Risk: ops.RiskRead}, ops.Func(func(ctx context.Context, _ ops.Params) (map[string]any, error) {
		pools.see("test.local", remote.PoolFrom(ctx))
		return nil, nil
	}))
	m := newManager(t, Config{Registry: reg}, Limits{})
	admin := Caller{Roles: []string{"admin"}}
	for _, op := range []string{"test.local", "test.host", "test.host"} {
		res, err := m.ExecuteOp(context.Background(), OpRequest{Op: op, Caller: admin})
		if err != nil || res.Status != "succeeded" {
			t.Fatalf("execute %s: %v %+v", op, err, res)
		}
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "sub.yaml"), []byte("version: 1\nname: sub\nsteps:\n  - {id: far, op: test.host, with: {host: web-1}}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	main := filepath.Join(dir, "main.yaml")
	if err := os.WriteFile(main, []byte("version: 1\nname: main\nsteps:\n  - {id: near, op: test.local}\n  - {id: sub, op: playbook.run, needs: [near], with: {path: sub.yaml}}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	h, err := m.Start(context.Background(), Request{Path: main, Caller: admin})
	if err != nil {
		t.Fatal(err)
	}
	if rep, err := h.Wait(context.Background()); err != nil || rep.Status != "succeeded" {
		t.Fatalf("run: %v %+v", err, rep)
	}

	local, host := pools.seen["test.local"], pools.seen["test.host"]
	if len(local) != 2 || len(host) != 3 {
		t.Fatalf("calls seen: %d of test.local, %d of test.host; want 2 and 3", len(local), len(host))
	}
	if local[0] != nil {
		t.Errorf("an execute of a local operation had a connection pool; want none")
	}
	for i, p := range host {
		if p == nil {
			t.Errorf("call %d of test.host had no pool of its run's own", i+1)
		}
	}
	if host[0] == host[1] {
		t.Errorf("two executes of test.host shared a pool; each run has its own")
	}
	if local[1] == nil || local[1] != host[2] {
		t.Errorf("the run with a playbook.run gave its local step pool %p and its sub-playbook's step %p; want the same one", local[1], host[2])
	}
}
