package cache_test

import (
	"context"
	"testing"

	"github.com/arsenal-run/arsenal-run/pkg/engine"
)

// TestRolesKeepEntriesApart: an entry one set of roles wrote is no hit
// for another of the same scope. Before, a read-only role ran a playbook
// with a step's cache.key and another file, and an admin's step of the
// same key got what it had read, then acted on it.
func TestRolesKeepEntriesApart(t *testing.T) {
	f := newFixture(t, `version: 1
name: c
steps:
  - {id: a, op: test.echo, with: {x: 1}, cache: {ttl: 1h, key: deploy-config}}
`)
	run := func(roles ...string) bool {
		t.Helper()
		rep, err := f.plan.Run(context.Background(), nil, engine.WithRoles(roles...))
		if err != nil {
			t.Fatal(err)
		}
		return step(rep, "a").Cached
	}
	if run("low") {
		t.Fatal("the first run was a hit")
	}
	if run("admin") {
		t.Error("admin was answered from the entry the low role wrote")
	}
	if !run("admin") {
		t.Error("admin's own entry was no hit")
	}
	if !run("low", "low") {
		t.Error("the low role's entry was no hit for the same role named twice")
	}
	if run("admin", "low") {
		t.Error("roles held together were answered from one role's entry")
	}
}
