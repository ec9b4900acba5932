package exprsafe

import (
	"fmt"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/expr-lang/expr"
	"github.com/expr-lang/expr/compiler"
	"github.com/expr-lang/expr/conf"
	"github.com/expr-lang/expr/optimizer"
	"github.com/expr-lang/expr/parser"
	"github.com/expr-lang/expr/vm"
)

const testLimit = 1 << 20

// run compiles src as pkg/steps does (see compile) and evaluates it
// under expr's memory budget.
func run(t testing.TB, src string, env map[string]any) (any, error) {
	t.Helper()
	m := vm.VM{MemoryBudget: 1_000_000}
	return m.Run(compile(t, src, env), env)
}

// compile compiles src as pkg/steps does: Harden, then Check where
// checker.Check would be.
func compile(t testing.TB, src string, env map[string]any) *vm.Program {
	t.Helper()
	return compileWithin(t, src, env, 5_000_000)
}

// compileWithin compiles src as compile does, with a budget of maxWork
// units of work.
func compileWithin(t testing.TB, src string, env map[string]any, maxWork int) *vm.Program {
	t.Helper()
	cfg := conf.CreateNew()
	expr.Env(env)(cfg)
	Harden(cfg, 1000, testLimit, maxWork)
	tree, err := parser.ParseWithConfig(src, cfg)
	if err != nil {
		t.Fatalf("parse %s: %v", src, err)
	}
	if _, err := Check(tree, cfg); err != nil {
		t.Fatalf("check %s: %v", src, err)
	}
	if err := optimizer.Optimize(&tree.Node, cfg); err != nil {
		t.Fatal(err)
	}
	prog, err := compiler.Compile(tree, cfg)
	if err != nil {
		t.Fatalf("compile %s: %v", src, err)
	}
	return prog
}

// doubling is a let chain that doubles a 1000-byte literal n times.
func doubling(n int) string {
	var b strings.Builder
	b.WriteString("let a0 = '" + strings.Repeat("x", 1000) + "';")
	for i := 1; i <= n; i++ {
		fmt.Fprintf(&b, " let a%d = a%d + a%d;", i, i-1, i-1)
	}
	fmt.Fprintf(&b, " len(a%d)", n)
	return b.String()
}

// wantRefused runs src and wants an error naming want, having allocated
// far less than the expression asked for.
func wantRefused(t *testing.T, src string, env map[string]any, want string) {
	t.Helper()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	out, err := run(t, src, env)
	runtime.ReadMemStats(&after)
	if err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("%.80s: got %v, %v; want an error with %q", src, out, err, want)
	}
	if got := after.TotalAlloc - before.TotalAlloc; got > 40<<20 {
		t.Errorf("%.80s: allocated %d MiB before failing", src, got>>20)
	}
}

func TestConcatPastStringLimitFails(t *testing.T) {
	wantRefused(t, doubling(16), nil, "+ would build a 2048000-byte string, over the limit of 1048576 bytes per string; build large text in a step")
}

func TestConcatChainStopsAtEvaluationTotal(t *testing.T) {
	// Each string is under the limit; together they are not.
	var b strings.Builder
	b.WriteString("let s = '" + strings.Repeat("x", 1000) + "'; let s0 = s;")
	for i := 1; i <= 9; i++ {
		fmt.Fprintf(&b, " let s%d = s%d + s%d;", i, i-1, i-1)
	}
	// s9 is 512,000 bytes; 40 more copies of it pass 16 MiB.
	for i := 10; i < 50; i++ {
		fmt.Fprintf(&b, " let s%d = s9 + 'y';", i)
	}
	b.WriteString(" len(s49)")
	wantRefused(t, b.String(), nil, "past 16777216 bytes in all; build large")
}

func TestConcatInMapStopsAtEvaluationTotal(t *testing.T) {
	env := map[string]any{"s": strings.Repeat("x", 500_000)}
	wantRefused(t, "len(map(1..100, s + 'y'))", env, "bytes in all; build large")
}

func TestJoinOfRepeatedStringFails(t *testing.T) {
	env := map[string]any{"s": strings.Repeat("x", 10_000)}
	wantRefused(t, "len(join(map(1..2000, s)))", env, "join would build a 20000000-byte string")
	wantRefused(t, "len(join(map(1..2000, s), ','))", env, "join would build")
}

func TestToJSONAndStringOfRepeatedStringFail(t *testing.T) {
	env := map[string]any{"s": strings.Repeat("x", 10_000)}
	wantRefused(t, "len(toJSON(map(1..2000, s)))", env, "toJSON would build a")
	wantRefused(t, "len(string(map(1..2000, s)))", env, "string would build a")
	wantRefused(t, "len(toJSON({'a': map(1..2000, s)}))", env, "toJSON would build a")
}

func TestCopyingBuildersInMapStopAtEvaluationTotal(t *testing.T) {
	env := map[string]any{"s": strings.Repeat("x", 500_000)}
	for _, f := range []string{"upper", "lower", "toBase64"} {
		wantRefused(t, "len(map(1..100, "+f+"(s)))", env, f+" would take")
	}
	wantRefused(t, "len(map(1..100, replace(s, 'x', 'y')))", env, "replace would take")
}

// TestBuildersKeepTheirMeaning checks that routing changes no result.
func TestBuildersKeepTheirMeaning(t *testing.T) {
	env := map[string]any{
		"s": "ab", "n": 2, "f": 1.5, "a": any(3), "b": any(4), "x": any("x"), "y": any("y"),
		"l": []any{"p", "q"}, "u": map[string]any{"a": 3, "b": 4, "x": "x"}, "d": 2 * time.Second, "m": map[string]any{"k": []any{1, "v"}},
	}
	for _, c := range []struct {
		src  string
		want any
	}{
		{"s + 'c'", "abc"},
		{"'a' + 'b'", "ab"},
		{"n + 1", 3},
		{"n + f", 3.5},
		{"a + b", 7},
		{"x + y", "xy"},
		{"x + s", "xab"},
		{"u.a + u.b", 7},
		{"u.x + u.x", "xx"},
		{"(u.a + u.b) * 2", 14},
		{"let t = s + s; t + t", "abababab"},
		{"map(l, # + '!')", []any{"p!", "q!"}},
		{"join(l)", "pq"},
		{"join(l, ', ')", "p, q"},
		{"join(split('a.b', '.'), '-')", "a-b"},
		{"toJSON(m)", "{\n  \"k\": [\n    1,\n    \"v\"\n  ]\n}"},
		{"string(l)", `["p","q"]`}, // as interpolation writes a list, not Go's [p q]
		{"string(n)", "2"},
		{"upper(s) + lower('CD')", "ABcd"},
		{"toBase64(s)", "YWI="},
		{"replace(s, 'b', 'c')", "ac"},
		{"len(s + s) == 4 ? 'yes' : 'no'", "yes"},
		{"string(d)", "2s"},
	} {
		got, err := run(t, c.src, env)
		if err != nil {
			t.Errorf("%s: %v", c.src, err)
			continue
		}
		if fmt.Sprint(got) != fmt.Sprint(c.want) {
			t.Errorf("%s = %#v, want %#v", c.src, got, c.want)
		}
	}
}

func TestConcatMismatchStillFails(t *testing.T) {
	env := map[string]any{"m": map[string]any{"x": "x", "n": 1}}
	if _, err := run(t, "m.x + m.n", env); err == nil || !strings.Contains(err.Error(), "invalid operation: string + int") {
		t.Errorf("m.x + m.n: %v", err)
	}
}

// TestBuildersRefuseWhatIsNotAString: upper, lower and toBase64 of a value
// known only at run time that is not a string fail, as expr's own
// built-ins do, rather than give an empty string.
func TestBuildersRefuseWhatIsNotAString(t *testing.T) {
	env := map[string]any{"u": map[string]any{"a": 3}}
	for _, src := range []string{"upper(u.a)", "lower(u.a)", "toBase64(u.a)", "upper(u.missing)"} {
		if out, err := run(t, src, env); err == nil {
			t.Errorf("%s = %#v, want an error", src, out)
		}
	}
	if out, err := run(t, "upper(u.b) + toBase64(u.b)", map[string]any{"u": map[string]any{"b": "ok"}}); err != nil || out != "OKb2s=" {
		t.Errorf("strings: %v, %v", out, err)
	}
}

// TestStringWritesAsInterpolationDoes: string(v) writes a time in RFC 3339
// without Go's monotonic clock reading, null as nothing, lists and maps as
// JSON and a time zone by its name, never in Go's formats.
func TestStringWritesAsInterpolationDoes(t *testing.T) {
	at := time.Now() // with a monotonic clock reading
	env := map[string]any{"u": map[string]any{"at": at, "l": []any{1, "a"}, "m": map[string]any{"a": 1}}}
	for src, want := range map[string]string{
		`string(u.at)`:                     at.Format(time.RFC3339Nano),
		`string(u.missing)`:                "",
		`string(u.l)`:                      `[1,"a"]`,
		`string(u.m)`:                      `{"a":1}`,
		`string(timezone("Asia/Kolkata"))`: "Asia/Kolkata",
		`string(duration("90s"))`:          "1m30s",
		`"at " + string(date("2026-03-29T01:30:00Z").In(timezone("Asia/Kolkata")))`: "at 2026-03-29T07:00:00+05:30",
	} {
		if out, err := run(t, src, env); err != nil || out != want {
			t.Errorf("%s = %#v, %v; want %q", src, out, err, want)
		}
	}
}
