package steps

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/arsenal-run/arsenal-run/internal/yamlx"
)

// The hostile inputs are generated here rather than committed: they are
// large, or hold bytes (NUL, invalid UTF-8, bidi controls) that editors and
// diff tools show badly. Those that carry `# ERROR` comments go through
// the fixture harness like any invalid fixture.

const hostileHead = "version: 1\nname: hostile\n"
const oneStep = "steps:\n  - id: a\n    op: control.noop\n"

// deepFlow is a var nested n flow sequences deep: [[[...]]].
func deepFlow(n int) []byte {
	return []byte(hostileHead + "vars:\n  x: " + strings.Repeat("[", n) + strings.Repeat("]", n) + "\n" + oneStep)
}

// deepBlock is n block sequences nested on one line: - - - x.
func deepBlock(n int) []byte {
	return []byte(hostileHead + "vars:\n  x:\n    " + strings.Repeat("- ", n) + "x\n" + oneStep)
}

// manySteps is a playbook of n steps.
func manySteps(n int) []byte {
	var b strings.Builder
	b.WriteString(hostileHead + "steps:\n")
	for i := range n {
		fmt.Fprintf(&b, "  - {id: s%d, op: control.noop}\n", i)
	}
	return []byte(b.String())
}

const repeatBomb = `repeat(repeat("x", 999999), 999999)`

// repeatInWhen and repeatInValue put the repeat bomb in a bare expression
// and in an interpolation.
var (
	repeatInWhen  = []byte(hostileHead + oneStep + "    when: len(" + repeatBomb + ") > 0 # ERROR@22: repeat is not available\n")
	repeatInValue = []byte(hostileHead + oneStep + "    name: '${{ " + repeatBomb + " }}' # ERROR@23: repeat is not available\n")
)

func readFixture(t testing.TB, name string) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(fixtureDir, "invalid", name))
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// TestHostileAnnotated runs generated hostile files that carry their
// expected diagnostics as ERROR comments.
func TestHostileAnnotated(t *testing.T) {
	reg := fixtureRegistry(t)
	for _, tc := range []struct {
		name string
		data []byte
	}{
		{"nul byte", []byte(hostileHead + oneStep + "    name: \"a\x00b\" # ERROR@13: NUL byte in the file\n")},
		{"invalid utf-8", []byte(hostileHead + "description: caf\xe9 # ERROR@17: invalid UTF-8 byte 0xe9\n" + oneStep)},
		{"overlong utf-8", []byte(hostileHead + "description: \xc0\xaf # ERROR@14: invalid UTF-8 byte 0xc0\n" + oneStep)},
		// The id reads "admin" in an editor but is "nimda" with a
		// right-to-left override.
		{"bidi in id", []byte(hostileHead + "steps:\n  - id: \u202enimda\u202c # ERROR@9: bidirectional control character U+202E\n    op: control.noop\n")},
		{"bidi isolate in value", []byte(hostileHead + oneStep + "    name: \"ok \u2066x\u2069\" # ERROR@15: bidirectional control character U+2066\n")},
		{"repeat in when", repeatInWhen},
		{"repeat in interpolation", repeatInValue},
		{"deep flow nesting over MaxDepth", []byte(strings.Replace(string(deepFlow(MaxDepth+1)), "\nsteps:", " # ERROR: nesting is deeper than 64 levels; flatten the structure\nsteps:", 1))},
		{"expression over MaxExprLen", []byte(hostileHead + oneStep + "    when: " + strings.Repeat("true && ", MaxExprLen/8) + "true # ERROR@11: over the limit of 4096; compute parts in earlier steps\n")},
		{"expression over MaxExprNodes", []byte(hostileHead + oneStep + "    when: 0 < " + strings.Repeat("1+", MaxExprNodes) + "1 # ERROR: the expression has more than 1000 syntax nodes; split it\n")},
		{"long id", []byte(hostileHead + "steps:\n  - id: " + strings.Repeat("a", MaxIDLen+1) + " # ERROR@9: at most 64\n    op: control.noop\n")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			checkDiagnostics(t, "hostile.yaml", tc.data, reg)
		})
	}
}

// TestHostileRefused runs hostile files that are refused with one
// diagnostic at a known position.
func TestHostileRefused(t *testing.T) {
	reg := fixtureRegistry(t)
	big := append([]byte(hostileHead+oneStep+"# "), make([]byte, MaxFileSize)...)
	for i := len(hostileHead + oneStep + "# "); i < len(big); i++ {
		big[i] = 'x'
	}
	var inputs strings.Builder
	inputs.WriteString(hostileHead + "inputs:\n")
	for i := range MaxInputs + 1 {
		fmt.Fprintf(&inputs, "  in%d: {type: string}\n", i)
	}
	inputs.WriteString(oneStep)
	manyNodes := hostileHead + "vars:\n  x: [" + strings.Repeat("0,", MaxNodes) + "0]\n" + oneStep
	for _, tc := range []struct {
		name string
		data []byte
		line int
		text string
	}{
		{"alias bomb", readFixture(t, "alias_bomb.yaml"), 9, "more than 10000 nodes; this looks like an alias bomb"},
		{"20,000 nested flow sequences", deepFlow(20_000), 4, "nesting is deeper than 64 levels; flatten the structure"},
		{"20,000 nested block sequences", deepBlock(20_000), 5, "nesting is deeper than 64 levels; flatten the structure"},
		{"20,000 nested flow mappings", []byte(hostileHead + "vars:\n  x: " + strings.Repeat("{a: ", 20_000) + "1" + strings.Repeat("}", 20_000) + "\n" + oneStep), 4, "nesting is deeper than 64 levels; flatten the structure"},
		{"file over MaxFileSize", big, 0, fmt.Sprintf("the file is 1.0 MiB (%d bytes), over the limit of 1 MiB; split the playbook", len(big))},
		{"steps over MaxSteps", manySteps(MaxSteps + 10), 5004, "more than 5000 steps, the limit of a playbook; split the playbook and call the parts with playbook.run"},
		{"nodes over MaxNodes", []byte(manyNodes), 4, "more than 200000 nodes;"},
		{"inputs over MaxInputs", []byte(inputs.String()), 4, "257 inputs, over the limit of 256; pass values that go together as one input of type map or list"},
		{"empty file", nil, 1, "the file is empty"},
		{"only comments", []byte("# nothing here\n"), 1, "the file holds only comments"},
		{"only a document marker", []byte("---\n"), 1, "the file holds only null"},
		{"only null", []byte("~ # nothing\n"), 1, "the file holds only null"},
		{"a list at the top", []byte("- a\n- b\n"), 1, "the playbook must be a mapping (key: value), not a list"},
		{"unclosed quote", []byte(hostileHead + "description: \"abc\n" + oneStep), 3, "YAML syntax"},
		{"tab indentation", []byte(hostileHead + "steps:\n\t- id: a\n"), 4, "YAML syntax"},
		// yaml.v3 gives no line for this one: the alias is found.
		{"alias to nothing", []byte(hostileHead + "description: *nope\n" + oneStep), 3, "YAML syntax: alias *nope names no anchor above it"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			pb, err := Parse("hostile.yaml", tc.data, reg)
			if err == nil {
				t.Fatalf("loaded %d steps; want it refused", len(pb.Steps))
			}
			ds := err.(Diagnostics)
			checkSorted(t, ds)
			if len(ds) != 1 || ds[0].Pos.Line != tc.line || !strings.Contains(ds[0].Msg, tc.text) {
				t.Errorf("want one diagnostic at line %d containing %q, got:\n%v", tc.line, tc.text, yamlx.Truncate(err.Error(), 2000))
			}
		})
	}
}

// TestLoadFileErrors covers Load's own refusals, before any parsing.
func TestLoadFileErrors(t *testing.T) {
	reg := fixtureRegistry(t)
	dir := t.TempDir()
	big := filepath.Join(dir, "big.yaml")
	if err := os.WriteFile(big, make([]byte, 2*MaxFileSize), 0o600); err != nil {
		t.Fatal(err)
	}
	// An editor's lock (Emacs links .#big.yaml to nowhere while big.yaml
	// is open) is never what was meant.
	if err := os.Symlink("root@host.1234:1733400000", filepath.Join(dir, ".#big.yaml")); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		path, text string
	}{
		{filepath.Join(dir, "missing.yaml"), "cannot read the playbook"},
		{dir, "not a regular file"},
		{big, "the file is 2.0 MiB (2097152 bytes), over the limit of 1 MiB; split the playbook and call the parts with playbook.run"},
		// What was likely meant: the file with its extension, one a
		// letter away, the playbooks of a folder given instead.
		{filepath.Join(dir, "big"), `(did you mean "` + big + `"?)`},
		{filepath.Join(dir, "bog.yaml"), `(did you mean "` + big + `"?)`},
		{dir + "/", "give one of its playbooks: " + big},
		// run - as other tools read standard input.
		{"-", "a playbook is read from a file, not from standard input: save it as a .yaml file first"},
	} {
		_, err := Load(tc.path, reg)
		ds, ok := err.(Diagnostics)
		// A file that does not open, or is too large to read, has no
		// line to point at.
		want := Pos{}
		if !ok || len(ds) != 1 || !strings.Contains(ds[0].Msg, tc.text) || ds[0].Pos != want || ds[0].File != tc.path {
			t.Errorf("Load(%s) = %v; want one diagnostic at %v containing %q", filepath.Base(tc.path), err, want, tc.text)
		}
	}
	// A dangling link is not offered as what was meant by itself.
	dangling := filepath.Join(dir, "dangling.yaml")
	if err := os.Symlink(filepath.Join(dir, "gone.yaml"), dangling); err != nil {
		t.Fatal(err)
	}
	if _, err := Load(dangling, reg); err == nil || strings.Contains(err.Error(), `did you mean "`+dangling) {
		t.Errorf("Load(dangling.yaml) = %v; want no suggestion of itself", err)
	}
}

// hostileInputs are the inputs that must be refused quickly and within a
// memory bound however they are built.
func hostileInputs(t testing.TB) []struct {
	name string
	data []byte
} {
	return []struct {
		name string
		data []byte
	}{
		{"alias bomb", readFixture(t, "alias_bomb.yaml")},
		{"20,000-deep nesting", deepFlow(20_000)},
		{"repeat bomb", repeatInValue},
	}
}

// TestHostileBounded checks that each hostile input is refused having
// allocated less than 50 MB. Time is measured by BenchmarkHostile; the
// bound here is only a generous guard against a hang.
func TestHostileBounded(t *testing.T) {
	const maxBytes = 50 << 20
	const maxTime = 10 * time.Second
	reg := fixtureRegistry(t)
	for _, tc := range hostileInputs(t) {
		t.Run(tc.name, func(t *testing.T) {
			var err error
			start := time.Now()
			alloc := allocated(func() { _, err = Parse("hostile.yaml", tc.data, reg) })
			took := time.Since(start)
			if err == nil {
				t.Fatal("loaded; want it refused")
			}
			t.Logf("%d bytes in, %.2f MB allocated, %v", len(tc.data), float64(alloc)/(1<<20), took)
			if alloc > maxBytes {
				t.Errorf("allocated %d bytes; want under %d", alloc, maxBytes)
			}
			if took > maxTime {
				t.Errorf("took %v; want well under a second (bound %v)", took, maxTime)
			}
		})
	}
}

// allocated returns the bytes the heap allocated while f ran. Tests in this
// package do not run in parallel, so the count is f's alone.
func allocated(f func()) uint64 {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	f()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

// BenchmarkHostile measures how fast each hostile input is refused.
func BenchmarkHostile(b *testing.B) {
	reg := fixtureRegistry(b)
	for _, tc := range hostileInputs(b) {
		b.Run(tc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := Parse("hostile.yaml", tc.data, reg); err == nil {
					b.Fatal("loaded; want it refused")
				}
			}
		})
	}
}

// TestLoadDirectoryHints: a directory given where a playbook is meant
// says what to give instead, whatever it holds: its playbooks when they
// are few, validate to check many, a subdirectory that holds some.
func TestLoadDirectoryHints(t *testing.T) {
	reg := fixtureRegistry(t)
	root := t.TempDir()
	mk := func(rel string) {
		t.Helper()
		p := filepath.Join(root, rel)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte("version: 1\n"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	for i := range 7 {
		mk(fmt.Sprintf("many/p%d.yaml", i))
	}
	mk("nested/jobs/nightly.yaml")
	mk("our books/a.yaml")
	mk("nest's/my jobs/b.yaml")
	if err := os.Mkdir(filepath.Join(root, "empty"), 0o755); err != nil {
		t.Fatal(err)
	}
	at := func(rel string) string { return filepath.Join(root, rel) }
	for _, tc := range []struct {
		dir  string
		want []string
	}{
		{at("many"), []string{"it holds 7 playbooks, like " + at("many/p0.yaml"), "`arsenal-run validate " + at("many") + "` checks them all"}},
		{at("nested"), []string{"but " + at("nested/jobs") + " does", at("nested/jobs/nightly.yaml"), "`arsenal-run validate " + at("nested/jobs") + "`"}},
		{at("our books"), []string{"`arsenal-run validate '" + at("our books") + "'` checks them all"}},
		{at("nest's"), []string{"but " + at("nest's/my jobs") + " does", `arsenal-run validate '` + strings.ReplaceAll(at("nest's/my jobs"), "'", `'\''`) + "'`"}},
		{at("empty"), []string{"it holds no playbooks (*.yaml, *.yml): give the path of a playbook .yaml file"}},
	} {
		_, err := Load(tc.dir, reg)
		ds, ok := err.(Diagnostics)
		if !ok || len(ds) != 1 {
			t.Fatalf("Load(%s) = %v; want one diagnostic", tc.dir, err)
		}
		for _, w := range tc.want {
			if !strings.Contains(ds[0].Msg, w) {
				t.Errorf("Load(%s) = %q; want it to contain %q", tc.dir, ds[0].Msg, w)
			}
		}
	}
}

// TestMisspeltPlaybookInTheWorkingDirectory: a playbook named bare, as
// typed in the directory that holds it (run slwo.yaml), is suggested as
// one given with its directory is; the bare name's directory, "", was
// read as no directory at all, and nothing was suggested.
func TestMisspeltPlaybookInTheWorkingDirectory(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "slow.yaml"), []byte("version: 1\nname: slow\nsteps:\n  - {id: a, op: control.noop}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Chdir(dir)
	_, err := Load("slwo.yaml", fixtureRegistry(t))
	if err == nil || !strings.Contains(err.Error(), `(did you mean "slow.yaml"?)`) {
		t.Errorf("Load(slwo.yaml) = %v; want it to suggest slow.yaml", err)
	}
}
