package cache_test

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/arsenal-run/arsenal-run/pkg/cache"
	"github.com/arsenal-run/arsenal-run/pkg/engine"
	"github.com/arsenal-run/arsenal-run/pkg/history"
	"github.com/arsenal-run/arsenal-run/pkg/steps"
)

// TestNamespaceKeepsEntriesApart: two playbooks whose steps share a
// cache.key share the entry, unless one has a namespace (it runs under a
// grant): then neither reads the other's entry, and each reads its own.
func TestNamespaceKeepsEntriesApart(t *testing.T) {
	dir := t.TempDir()
	store, err := history.Open(filepath.Join(dir, "state"))
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	count := &counter{}
	reg := testRegistry(count)
	src := func(name, x string) string {
		return writeFile(t, dir, name+".yaml", `version: 1
name: `+name+`
steps:
  - {id: a, op: test.echo, with: {x: `+x+`}, cache: {ttl: 1h, key: shared}}
`)
	}
	mine, other, granted := src("mine", "chosen"), src("other", "other"), src("granted", "own")
	namespace := func(pb *steps.Playbook) string {
		if pb != nil && pb.Name == "granted" {
			return "grant of granted.yaml as admin"
		}
		return ""
	}
	eng := engine.New(reg, engine.WithMiddleware(cache.Middleware(cache.Config{Store: store, Secret: []byte("k"), Namespace: namespace})))
	run := func(path string) (x any, cached bool) {
		t.Helper()
		plan, err := eng.Load(path)
		if err != nil {
			t.Fatal(err)
		}
		rep, err := plan.Run(context.Background(), nil)
		if err != nil {
			t.Fatal(err)
		}
		return rep.Steps[0].Output.(map[string]any)["x"], rep.Steps[0].Cached
	}
	if _, cached := run(mine); cached {
		t.Fatal("first run hit")
	}
	// Without a namespace the key is shared across playbooks, as documented.
	if x, cached := run(other); !cached || x != "chosen" {
		t.Errorf("other: %v cached %v; want the shared entry", x, cached)
	}
	if x, cached := run(granted); cached || x != "own" {
		t.Errorf("granted: %v cached %v; want its own run, not the shared entry", x, cached)
	}
	if x, cached := run(granted); !cached || x != "own" {
		t.Errorf("granted again: %v cached %v; want its own entry", x, cached)
	}
	if x, cached := run(mine); !cached || x != "chosen" {
		t.Errorf("mine again: %v cached %v; want its entry, not the granted one's", x, cached)
	}
}
