package exprsafe

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/expr-lang/expr/vm"
	"github.com/google/go-cmp/cmp"
)

// TestWorkIsBounded: loops inside loops, over predicates or over the lists
// and strings built-ins walk, fail once they have done MaxWork units. Each
// would do over a thousand times the budget's work unbounded: a budget a
// tenth of the other tests' proves the bound as well, in a tenth of the
// time (seconds under the race detector).
func TestWorkIsBounded(t *testing.T) {
	big := strings.Repeat("x", 900_000)
	env := map[string]any{"n": 1000, "xs": []any{}, "s": big}
	for _, src := range []string{
		"let r = 1..n; sum(r, sum(r, count(r, # % 7 == 3)))",
		"let r = 1..30000; all(r, {sum(r) > 0})",
		"let r = 1..30000; count(r, {# * 7 in r})",
		"let r = 1..30000; count(r, {median(r) > 0})",
		"let r = 1..30000; any(r, {max(r) < 0})",
		"let r = 1..2000; count(r, {count(r, {s contains 'y'}) > 0})",
		"count(1..20000, {s matches '(x|xx)*y'})",
	} {
		m := vm.VM{MemoryBudget: 1_000_000}
		_, err := m.Run(compileWithin(t, src, env, 500_000), env)
		if err == nil || !strings.Contains(err.Error(), "did more than 500000 units of work (see \"Limits\" in docs/playbooks.md)") {
			t.Errorf("%s: %v, want it over the limit of work", src, err)
		}
	}
}

// TestWorkKeepsResults: counting work changes no result or type.
func TestWorkKeepsResults(t *testing.T) {
	env := map[string]any{"xs": []any{3, 1, 2}}
	for src, want := range map[string]any{
		"map(1..3, # * 2)":                []any{2, 4, 6},
		"filter(1..6, # % 2 == 0)":        []any{2, 4, 6},
		"sum(1..100)":                     5050,
		"sum(1..3, # * 2)":                12,
		"sort(xs)":                        []any{1, 2, 3},
		"max(xs) + min(xs)":               4,
		"2 in xs && !(5 in xs)":           true,
		"count(xs, # > 1) > 0":            true,
		"len(flatten([[1], [2, 3]]))":     3,
		"first(sortBy(xs, -#))":           3,
		"all(xs, {any(xs, {# == 1})})":    true,
		"concat([1], xs)[3]":              2,
		"let s = 0; map(xs, {# + s})[0]":  3,
		"groupBy(xs, # > 1)[true][0] > 0": true,
	} {
		got, err := run(t, src, env)
		if err != nil {
			t.Errorf("%s: %v", src, err)
			continue
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("%s: (-want +got)\n%s", src, diff)
		}
	}
}

// TestWorkLetsOrdinaryChecksThrough: a membership check of one list of a
// few thousand names against another, as an inventory against an allow
// list, fits.
func TestWorkLetsOrdinaryChecksThrough(t *testing.T) {
	var hosts, allow []any
	for i := range 3000 {
		hosts = append(hosts, fmt.Sprintf("web-%04d.example.com", i))
		allow = append(allow, fmt.Sprintf("web-%04d.example.com", i*2))
	}
	got, err := run(t, "len(filter(hosts, {# in allow}))", map[string]any{"hosts": hosts, "allow": allow})
	if err != nil || got != 1500 {
		t.Fatalf("%v %v", got, err)
	}
}

// TestWorkStopsAtTheContext: an evaluation whose context is done stops,
// with the context's cause.
func TestWorkStopsAtTheContext(t *testing.T) {
	stop := errors.New("the run was cancelled")
	ctx, cancel := context.WithCancelCause(context.Background())
	cancel(stop)
	env := map[string]any{ContextVar: ctx}
	_, err := run(t, "let r = 1..2000; sum(r, count(r, # > 0))", env)
	if err == nil || !strings.Contains(err.Error(), stop.Error()) {
		t.Fatalf("%v, want it stopped with the context's cause", err)
	}
	// Without the context in the environment, the same expression runs.
	if _, err := run(t, "let r = 1..200; sum(r, count(r, # > 0))", map[string]any{ContextVar: nil}); err != nil {
		t.Fatal(err)
	}
}

// TestPatternsNotConstantAreCharged: a pattern known only when the
// expression runs is compiled once per evaluation and charged by the
// size of its program; a loop over a large one stops at the budget within
// seconds, where expr compiled it again at every turn, uncharged, for
// minutes.
func TestPatternsNotConstantAreCharged(t *testing.T) {
	env := map[string]any{"re": strings.Repeat(`[\pL\pN]{1000}`, 512), "small": `^web-[0-9]+$`, "names": []any{"web-1", "db-2", "web-3"}, "n": 100000}
	_, err := run(t, `any(1..n, {"a" matches re})`, env)
	if err == nil || !strings.Contains(err.Error(), "units of work (see \"Limits\" in docs/playbooks.md)") {
		t.Errorf("a loop over a large pattern: %v, want it over the limit of work", err)
	}
	for src, want := range map[string]any{
		`filter(names, # matches small)`:       []any{"web-1", "web-3"},
		`filter(names, # not matches small)`:   []any{"db-2"},
		`count(1..n, {"web-7" matches small})`: 100000,
		`"web-1" matches ("^" + "web")`:        true,
	} {
		got, err := run(t, src, env)
		if err != nil {
			t.Errorf("%s: %v", src, err)
			continue
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("%s: (-want +got)\n%s", src, diff)
		}
	}
	if _, err := run(t, `"a" matches (small + "(")`, env); err == nil || !strings.Contains(err.Error(), "missing closing )") {
		t.Errorf("a bad pattern: %v", err)
	}
}
