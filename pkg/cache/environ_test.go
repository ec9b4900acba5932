package cache_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/arsenal-run/arsenal-run/internal/fsroot"
	"github.com/arsenal-run/arsenal-run/pkg/engine"
	"github.com/arsenal-run/arsenal-run/pkg/ops"
)

// regionOp answers with the AWS_REGION it is given, as a plugin whose
// manifest lists env: [AWS_REGION] does, and says so as an ops.CacheKeyer.
type regionOp struct{ c *counter }

var _ ops.CacheKeyer = regionOp{}

func (o regionOp) Execute(ctx context.Context, _ ops.Params) (map[string]any, error) {
	o.c.n.Add(1)
	return map[string]any{"region": lookup(ops.Environ(ctx), "AWS_REGION")}, nil
}

func (regionOp) CacheKey(environ []string) any {
	if environ == nil {
		environ = os.Environ() // as ops.Environ outside a run, and as a plugin does
	}
	return map[string]any{"AWS_REGION": lookup(environ, "AWS_REGION")}
}

// regionOf reads the region a step's report output holds.
func regionOf(out any) any {
	m, _ := out.(map[string]any)
	return m["region"]
}

func lookup(environ []string, name string) string {
	v := ""
	for _, kv := range environ {
		if k, val, _ := strings.Cut(kv, "="); k == name {
			v = val
		}
	}
	return v
}

const regionPlaybook = `version: 1
name: r
steps:
  - id: a
    op: test.region
    cache: {ttl: 10m}
`

// TestKeyHoldsWhatTheOpDependsOn: an operation whose answer depends on
// the environment it gets (a plugin's env list) is not answered from an
// entry made in another environment, with or without cache.key.
func TestKeyHoldsWhatTheOpDependsOn(t *testing.T) {
	for _, cache := range []string{"cache: {ttl: 10m}", "cache: {ttl: 10m, key: fixed}"} {
		f := newFixture(t, strings.Replace(regionPlaybook, "cache: {ttl: 10m}", cache, 1))
		for i, region := range []string{"eu-west-1", "us-east-1", "eu-west-1"} {
			t.Setenv("AWS_REGION", region)
			rep, _ := f.run(nil)
			s := step(rep, "a")
			if got := regionOf(s.Output); got != region {
				t.Errorf("run %d in %s: answered %v (cached %v)", i, region, got, s.Cached)
			}
			if wantCached := i == 2; s.Cached != wantCached {
				t.Errorf("run %d in %s: cached %v, want %v", i, region, s.Cached, wantCached)
			}
		}
	}
}

// TestKeyTakesTheRunsEnvironment: the environment in the key is the
// run's (engine.WithEnviron, as a server passes), not the process's.
func TestKeyTakesTheRunsEnvironment(t *testing.T) {
	f := newFixture(t, regionPlaybook)
	for i, region := range []string{"eu-west-1", "us-east-1"} {
		rep, err := f.plan.Run(context.Background(), nil, engine.WithEnviron([]string{"AWS_REGION=" + region}))
		if err != nil {
			t.Fatal(err)
		}
		if s := step(rep, "a"); regionOf(s.Output) != region || s.Cached {
			t.Errorf("run %d in %s: answered %v (cached %v)", i, region, s.Output, s.Cached)
		}
	}
}

// TestKeyHoldsTheProtectedPaths: what no file operation touches differs
// between processes (one given a policy file, one not): an entry made
// before a path was protected is no hit after.
func TestKeyHoldsTheProtectedPaths(t *testing.T) {
	f := newFixture(t, regionPlaybook)
	t.Setenv("AWS_REGION", "eu-west-1")
	for i, want := range []bool{false, true} {
		rep, _ := f.run(nil)
		if s := step(rep, "a"); s.Cached != want {
			t.Fatalf("run %d: cached %v, want %v", i, s.Cached, want)
		}
	}
	fsroot.Protect(filepath.Join(t.TempDir(), "policy.yaml"), "policy file")
	rep, _ := f.run(nil)
	if s := step(rep, "a"); s.Cached {
		t.Error("an entry made before a path was protected was a hit after")
	}
}
