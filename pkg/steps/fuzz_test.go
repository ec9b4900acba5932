package steps

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/expr-lang/expr/conf"
	"github.com/expr-lang/expr/types"

	"github.com/arsenal-run/arsenal-run/internal/exprsafe"
)

// addFixtureSeeds adds every fixture file as a seed.
func addFixtureSeeds(f *testing.F) {
	for _, kind := range []string{"valid", "invalid"} {
		for _, file := range fixtureFiles(f, kind) {
			data, err := os.ReadFile(file)
			if err != nil {
				f.Fatal(err)
			}
			f.Add(data)
		}
	}
}

var bareExprRE = regexp.MustCompile(`^\s*-?\s*(?:when|foreach|until):\s*(.+?)\s*(?:#.*)?$`)

// addFixtureExprs adds the expressions written in the fixtures: the bare
// ones of when, foreach and until, and every ${{ }}.
func addFixtureExprs(f *testing.F) {
	seen := map[string]bool{}
	for _, kind := range []string{"valid", "invalid"} {
		for _, file := range fixtureFiles(f, kind) {
			data, err := os.ReadFile(file)
			if err != nil {
				f.Fatal(err)
			}
			for _, line := range strings.Split(string(data), "\n") {
				var found []string
				if m := bareExprRE.FindStringSubmatch(line); m != nil {
					found = append(found, strings.Trim(m[1], `"'`))
				}
				_, spans, _, _ := exprsafe.Scan(line)
				for _, sp := range spans {
					found = append(found, sp.Src)
				}
				for _, src := range found {
					if !seen[src] {
						seen[src] = true
						f.Add(src)
					}
				}
			}
		}
	}
}

// FuzzLoad checks that Parse never panics, and that it returns either a
// playbook or Diagnostics with 1-based positions, sorted, never both.
func FuzzLoad(f *testing.F) {
	addFixtureSeeds(f)
	addCorpus(f, "FuzzLoad")
	f.Add([]byte(hostileHead + oneStep))
	f.Add(deepFlow(MaxDepth + 1))
	f.Add(manySteps(3))
	f.Add(repeatInValue)
	reg := fixtureRegistry(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		pb, err := Parse("fuzz.yaml", data, reg)
		checkParseResult(t, data, pb, err)
	})
}

func checkParseResult(t *testing.T, data []byte, pb *Playbook, err error) {
	t.Helper()
	if err == nil {
		if pb == nil {
			t.Fatal("nil playbook and nil error")
		}
		return
	}
	if pb != nil {
		t.Fatal("a playbook returned along with an error")
	}
	ds, ok := err.(Diagnostics)
	if !ok || len(ds) == 0 {
		t.Fatalf("error is %T %v, want non-empty Diagnostics", err, err)
	}
	checkSorted(t, ds)
	lines := yamlLines(data)
	for _, d := range ds {
		if d.File != "fuzz.yaml" || d.Msg == "" {
			t.Errorf("diagnostic %+v: want file fuzz.yaml and a message", d)
		}
		if d.Pos.Line > lines {
			t.Errorf("diagnostic at line %d of a %d-line file: %s", d.Pos.Line, lines, d.Msg)
		}
	}
}

// yamlLines counts lines as YAML does: CR, LF, CRLF, NEL, LS and PS each
// end one.
func yamlLines(data []byte) int {
	s := strings.ReplaceAll(string(data), "\r\n", "\n")
	return 1 + strings.Count(s, "\n") + strings.Count(s, "\r") + strings.Count(s, "\u0085") + strings.Count(s, "\u2028") + strings.Count(s, "\u2029")
}

// exprPlaybook puts src in every place an expression can stand: a when, a
// retry.until, a foreach step's interpolated parameter, a var and an output.
func exprPlaybook(src string) []byte {
	q := strconv.Quote(src)
	in := strconv.Quote("${{ " + src + " }}")
	return []byte(`version: 1
name: fuzz
inputs:
  n: {type: number, default: 1}
  s: {type: string, default: x}
  l: {type: list, default: [1, 2]}
  m: {type: map, default: {k: v}}
vars:
  v: 1
  w: ` + in + `
steps:
  - id: a
    op: control.set
    with: {x: 1}
  - id: b
    op: control.set
    foreach: "[1, 2]"
    when: ` + q + `
    with: {x: ` + in + `, y: ` + strconv.Quote("a ${{ "+src+" }} b") + `}
    retry: {attempts: 2, until: ` + q + `}
outputs:
  o: ` + in + `
`)
}

// FuzzCompileExpression compiles arbitrary expression text through the
// loader, and directly in every scope, and checks that nothing panics.
func FuzzCompileExpression(f *testing.F) {
	for _, s := range []string{
		`true`, `1 + 2 > 2`, `steps.a.output.x == 1`, `item > 0 && index < 2`,
		`len(inputs.l) > inputs.n`, `vars.v == 1`, `output != nil && attempt < 3`,
		`error.class == "timeout"`, `filter(inputs.l, # > 1)`, `map(1..3, # * 2)`,
		`let x = 1; x + 1`, `inputs.m.k ?? "d"`, `"a" + inputs.s matches "^a"`,
		`replace(inputs.s, "x", "y") == "y"`, repeatBomb, `upper(run.id) != ""`,
		`{"a": {"b": [1, 2]}}.a.b[0] == 1`, `steps.b.status`, `1..1000000000`,
		`sum(1..100)`, `"}}"`, `${{ x }}`, `(((((1)))))`, `now() > date("2020-01-01")`,
		`toJSON(inputs.m)`, `fromJSON("[1]")`, `1 in [1, 2, 3]`, `"a" in ["a"]`,
		`int("1") + float("2.5")`, `splitAfter("a,b", ",")`, `[1,2,3][1:2]`,
		`9223372036854775807 + 1`, `1 / 0`, `sum(1..3)`,
	} {
		f.Add(s)
	}
	addFixtureExprs(f)
	addCorpus(f, "FuzzCompileExpression")
	reg := fixtureRegistry(f)
	base, err := Parse("base.yaml", exprPlaybook("true"), reg)
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, src string) {
		data := exprPlaybook(src)
		pb, err := Parse("fuzz.yaml", data, reg)
		checkParseResult(t, data, pb, err)
		c := newExprCompiler(base)
		for _, sc := range []scope{0, scopeVars, scopeItem, scopeRetry, scopeItem | scopeRetry, scopeOutputs} {
			for _, asBool := range []bool{false, true} {
				r := c.compile(src, sc, asBool)
				if (r.err == nil) == (r.prog == nil) {
					t.Fatalf("compile(%q) gave program %v and error %v; want exactly one", src, r.prog, r.err)
				}
				if r.err != nil && (r.err.off < 0 || r.err.off > len(src)) {
					t.Fatalf("compile(%q): error offset %d is outside the source", src, r.err.off)
				}
			}
		}
	})
}

// addCorpus adds the crashers committed under testdata/fuzz/<name> at the
// repository root, so that every `go test` replays them. `go test -fuzz`
// writes a new crasher to the package's own testdata/fuzz/<name>; move it
// to the root one to keep it.
func addCorpus(f *testing.F, name string) {
	files, err := filepath.Glob(filepath.Join("..", "..", "testdata", "fuzz", name, "*"))
	if err != nil {
		f.Fatal(err)
	}
	for _, file := range files {
		data, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		v, err := corpusValue(string(data))
		if err != nil {
			f.Fatalf("%s: %v", file, err)
		}
		f.Add(v)
	}
}

// corpusValue reads the one value of a file in Go's fuzz corpus format
// ("go test fuzz v1"): a []byte or a string.
func corpusValue(s string) (any, error) {
	header, v, ok := strings.Cut(strings.TrimSpace(s), "\n")
	if !ok || header != "go test fuzz v1" {
		return nil, errors.New("not a go test fuzz v1 file")
	}
	v = strings.TrimSpace(v)
	for _, prefix := range []string{"[]byte(", "string("} {
		if rest, ok := strings.CutPrefix(v, prefix); ok {
			u, err := strconv.Unquote(strings.TrimSuffix(rest, ")"))
			if prefix == "string(" {
				return u, err
			}
			return []byte(u), err
		}
	}
	return nil, fmt.Errorf("want one []byte or string value, got %.40s", v)
}

// TestCompileRecoversPanics checks that a panic while compiling becomes an
// error at the expression. A compiler whose environment lacks vars makes
// the compile panic.
func TestCompileRecoversPanics(t *testing.T) {
	c := &exprCompiler{configs: map[scope]*conf.Config{}, base: types.Map{}, cache: map[cacheKey]*compiled{}}
	r := c.compile("1 + 1", 0, false)
	if r.err == nil || r.prog != nil || !strings.Contains(r.err.msg, "could not be compiled") {
		t.Fatalf("compile = %+v, %+v; want an error saying it could not be compiled", r.prog, r.err)
	}
}
