package cache_test

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/arsenal-run/arsenal-run/internal/sshdtest"
	"github.com/arsenal-run/arsenal-run/pkg/cache"
	"github.com/arsenal-run/arsenal-run/pkg/engine"
	"github.com/arsenal-run/arsenal-run/pkg/history"
	"github.com/arsenal-run/arsenal-run/pkg/inventory"
	"github.com/arsenal-run/arsenal-run/pkg/ops"
	"github.com/arsenal-run/arsenal-run/pkg/ops/remote"
	"github.com/arsenal-run/arsenal-run/pkg/report"
)

var _ cache.Targeter = (*remote.Facts)(nil)

// TestKeyHoldsTheHostsMachine: a cached ssh.facts answer is kept for the
// machine its host resolved to, with or without cache.key. An inventory
// edited between runs so that the host names another server, then a port
// where nothing listens, gets no answer kept for the first; the first
// again does.
func TestKeyHoldsTheHostsMachine(t *testing.T) {
	fleet := sshdtest.StartFleet(t, "a", "b")
	a, b := fleet.Servers[0], fleet.Servers[1]
	line := func(s *sshdtest.Server, port int) string {
		return strings.Replace(s.InventoryLine(t, "web-1"), fmt.Sprintf("port: %d,", s.Port), fmt.Sprintf("port: %d,", port), 1)
	}
	reg := ops.NewRegistry()
	if err := remote.Register(reg, remote.Settings{Agent: "none"}); err != nil {
		t.Fatal(err)
	}
	defer reg.Close()
	for n, spec := range []string{"{ttl: 1h}", "{ttl: 1h, key: web}"} {
		dir := t.TempDir()
		store, err := history.Open(filepath.Join(dir, "state"))
		if err != nil {
			t.Fatal(err)
		}
		defer store.Close()
		eng := engine.New(reg, engine.WithMiddleware(cache.Middleware(cache.Config{Store: store, Secret: []byte("k")})))
		plan, err := eng.Load(writeFile(t, dir, "pb.yaml", "version: 1\nname: f\nsteps:\n  - id: facts\n    op: ssh.facts\n    with: {host: web-1}\n    cache: "+spec+"\n"))
		if err != nil {
			t.Fatal(err)
		}
		for i, tc := range []struct {
			host   string
			cached bool
			status report.Status
		}{
			{line(a, a.Port), false, report.StatusSucceeded},
			{line(b, b.Port), false, report.StatusSucceeded},
			{line(a, sshdtest.FreePort(t)), false, report.StatusFailed},
			{line(a, a.Port), true, report.StatusSucceeded},
		} {
			inv, err := inventory.Parse("inventory.yaml", []byte("version: 1\nhosts:\n"+tc.host))
			if err != nil {
				t.Fatal(err)
			}
			pool := remote.NewPool(remote.Settings{Inventory: inv, KnownHosts: []string{fleet.KnownHosts}, Agent: "none"})
			rep, err := plan.Run(remote.WithPool(context.Background(), pool), nil)
			pool.Close()
			if err != nil {
				t.Fatal(err)
			}
			if s := step(rep, "facts"); s.Cached != tc.cached || s.Status != tc.status {
				t.Errorf("cache: %s, run %d (%s): %s, cached %v; want %s, cached %v", spec, i+1, strings.TrimSpace(tc.host), s.Status, s.Cached, tc.status, tc.cached)
			}
		}
		if got := fleet.Logins(); got["a"] != n+1 || got["b"] != n+1 {
			t.Errorf("cache: %s: logins %v; want one more on each server", spec, got)
		}
	}
}
