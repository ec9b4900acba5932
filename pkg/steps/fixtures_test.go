package steps

// The fixture harness. Every file under testdata/playbooks/valid must load
// with no diagnostic. Every file under testdata/playbooks/invalid says, in
// comments, which diagnostics it must produce:
//
//	id: Bad-Id   # ERROR: step id "Bad-Id"
//	    the diagnostic is on this line; its message contains the text
//	timeout: 30  # ERROR@14: has no unit
//	    the same, and it is at column 14 (1-based, in characters)
//	# ERROR: unknown key "wehn"
//	wehn: x
//	    a comment alone on its line points at the next line that is not
//	    itself such a comment, so several can stack above one line
//	retry: {jitter: 2, backoff: 0} # ERROR: jitter # ERROR: backoff
//	    several on one line each expect their own diagnostic
//
//	message: "{{ inputs.x }}"  # WARNING: write ${{ inputs.x }}
//	    a warning rather than an error; it works like ERROR
//
// The harness compares line by line: every expected diagnostic must appear
// on its line with its text as a substring (and at its column, when one is
// given), and no diagnostic may appear that no comment expects. The
// diagnostics must also come sorted by position. Files under
// testdata/playbooks/warn expect only warnings: they must load, with
// exactly those warnings; valid files must load without any. A `# SCHEMA: invalid`
// comment marks a fixture that the JSON Schema in schema/ must reject too;
// that is checked by the schema package's tests.

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/arsenal-run/arsenal-run/pkg/ops"
	"github.com/arsenal-run/arsenal-run/pkg/ops/control"
)

// fixtureRegistry is the control.* operations plus fake ones whose params
// cover what control.* does not: lists with item types, maps, enums,
// bounds, durations and a parameter that refuses interpolation.
func fixtureRegistry(t testing.TB) *ops.Registry {
	t.Helper()
	r := ops.NewRegistry()
	if err := control.Register(r); err != nil {
		t.Fatal(err)
	}
	nop := ops.Func(func(context.Context, ops.Params) (map[string]any, error) { return map[string]any{}, nil })
	for _, s := range []ops.Spec{{
		Name:        "fake.shell",
		Description: "A stand-in for a shell op: script is never interpolated.",
		Risk:        ops.RiskWrite,
		Params: []ops.Param{
			{Name: "script", Type: ops.TypeString, NoInterpolation: true, Fix: "pass the value through the step's env"},
			{Name: "command", Type: ops.TypeList, Items: ops.TypeString, TypeHint: "or, to run it as a shell line, use script: instead"},
			{Name: "stdin", Type: ops.TypeString},
			{Name: "ok_codes", Type: ops.TypeList, Items: ops.TypeInteger, Default: []any{0}},
		},
	}, {
		Name:        "fake.params",
		Description: "An op with one parameter of every kind.",
		Risk:        ops.RiskRead,
		Params: []ops.Param{
			{Name: "url", Type: ops.TypeString, Required: true},
			{Name: "method", Type: ops.TypeString, Default: "GET", Enum: []any{"GET", "HEAD", "POST"}},
			{Name: "count", Type: ops.TypeInteger, Min: ops.Bound(1), Max: ops.Bound(10)},
			{Name: "ratio", Type: ops.TypeNumber, Min: ops.Bound(0), Max: ops.Bound(1)},
			{Name: "verbose", Type: ops.TypeBool},
			{Name: "headers", Type: ops.TypeMap},
			{Name: "tags", Type: ops.TypeList, Items: ops.TypeString, MaxLen: 3},
			{Name: "wait", Type: ops.TypeDuration, Max: ops.Bound(60)},
			{Name: "body", Type: ops.TypeAny},
		},
	}, {
		Name:        "fake.probe",
		Description: "An op whose output has a field of each kind.",
		Risk:        ops.RiskRead,
		Params:      []ops.Param{{Name: "url", Type: ops.TypeString}},
		Output: []ops.Field{{Name: "healthy", Type: "bool"}, {Name: "body", Type: "string"}, {Name: "code", Type: "integer"},
			{Name: "headers", Type: "map"}, {Name: "json", Type: "any"}},
	}, {
		Name:        "playbook.run",
		Description: "A stand-in for the engine's playbook.run, with its params.",
		Risk:        ops.RiskWrite,
		Params: []ops.Param{
			{Name: "path", Type: ops.TypeString, Required: true},
			{Name: "inputs", Type: ops.TypeMap},
		},
		Output: []ops.Field{{Name: "status", Type: "string"}, {Name: "outputs", Type: "map"}, {Name: "run_id", Type: "string"}},
	}, {
		Name:        "notify.webhook",
		Description: "A stand-in for notify.webhook, with its params.",
		Risk:        ops.RiskWrite,
		Params: []ops.Param{
			{Name: "url", Type: ops.TypeString, Required: true, Secret: true},
			{Name: "format", Type: ops.TypeString, Default: "json", Enum: []any{"slack", "teams", "json"}},
			{Name: "text", Type: ops.TypeString, Required: true},
			{Name: "title", Type: ops.TypeString},
			{Name: "fields", Type: ops.TypeMap},
			{Name: "link", Type: ops.TypeString},
		},
		Output: []ops.Field{{Name: "status", Type: "integer"}, {Name: "body", Type: "string"}},
	}, {
		Name:        "notify.email",
		Description: "A stand-in for notify.email, with its params.",
		Risk:        ops.RiskWrite,
		Params: []ops.Param{
			{Name: "host", Type: ops.TypeString, Required: true},
			{Name: "from", Type: ops.TypeString, Required: true},
			{Name: "to", Type: ops.TypeList, Items: ops.TypeString, Required: true},
			{Name: "subject", Type: ops.TypeString, Required: true},
			{Name: "body", Type: ops.TypeString, Required: true},
			{Name: "password", Type: ops.TypeString, Secret: true},
		},
	}} {
		if err := r.Register(s, nop); err != nil {
			t.Fatal(err)
		}
	}
	return r
}

const fixtureDir = "../../testdata/playbooks"

func fixtureFiles(t testing.TB, kind string) []string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(fixtureDir, kind, "*.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatalf("no fixtures in %s", filepath.Join(fixtureDir, kind))
	}
	return files
}

func TestValidFixtures(t *testing.T) {
	reg := fixtureRegistry(t)
	for _, file := range fixtureFiles(t, "valid") {
		t.Run(filepath.Base(file), func(t *testing.T) {
			pb, err := Load(file, reg)
			if err != nil {
				t.Fatalf("want no diagnostics, got:\n%v", err)
			}
			if pb == nil || len(pb.Steps) == 0 {
				t.Fatalf("Load returned %v with no error", pb)
			}
			if len(pb.Warnings) > 0 {
				t.Errorf("want no warnings, got:\n%v", pb.Warnings)
			}
		})
	}
}

func TestInvalidFixtures(t *testing.T) {
	reg := fixtureRegistry(t)
	files := fixtureFiles(t, "invalid")
	if len(files) < 40 {
		t.Errorf("%d invalid fixtures; keep at least 40 so that every rule is covered", len(files))
	}
	for _, file := range files {
		t.Run(filepath.Base(file), func(t *testing.T) {
			data, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			checkDiagnostics(t, file, data, reg)
		})
	}
}

// TestWarningFixtures loads the files whose only diagnostics are warnings.
func TestWarningFixtures(t *testing.T) {
	reg := fixtureRegistry(t)
	for _, file := range fixtureFiles(t, "warn") {
		t.Run(filepath.Base(file), func(t *testing.T) {
			data, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			for _, e := range expectations(t, data) {
				if !e.warn {
					t.Fatalf("line %d: a file under warn/ expects only warnings; move it to invalid/", e.line)
				}
			}
			checkDiagnostics(t, file, data, reg)
		})
	}
}

// expectation is one `# ERROR` or `# WARNING` comment.
type expectation struct {
	line, col int // col 0 = any column
	text      string
	warn      bool
}

func (e expectation) String() string {
	kind := ""
	if e.warn {
		kind = "warning: "
	}
	if e.col > 0 {
		return fmt.Sprintf("%d:%d: %s…%s…", e.line, e.col, kind, e.text)
	}
	return fmt.Sprintf("%d: %s…%s…", e.line, kind, e.text)
}

var errorCommentRE = regexp.MustCompile(`#\s*(ERROR|WARNING)(?:@(\d+))?:`)

// expectations reads the `# ERROR` comments of a fixture. One line may
// carry several; each one's text runs to the next or to the end of the line.
func expectations(t testing.TB, data []byte) []expectation {
	t.Helper()
	var out []expectation
	var pending []expectation // comments alone on their line, waiting for the next line
	for i, line := range strings.Split(string(data), "\n") {
		ms := errorCommentRE.FindAllStringSubmatchIndex(line, -1)
		if len(ms) == 0 {
			for _, e := range pending {
				e.line = i + 1
				out = append(out, e)
			}
			pending = nil
			continue
		}
		var here []expectation
		for j, m := range ms {
			end := len(line)
			if j+1 < len(ms) {
				end = ms[j+1][0]
			}
			e := expectation{line: i + 1, text: strings.TrimSpace(line[m[1]:end]), warn: line[m[2]:m[3]] == "WARNING"}
			if m[4] >= 0 {
				e.col, _ = strconv.Atoi(line[m[4]:m[5]])
			}
			if e.text == "" {
				t.Fatalf("line %d: an ERROR or WARNING comment needs the text the message must contain", i+1)
			}
			here = append(here, e)
		}
		if strings.TrimSpace(line[:ms[0][0]]) == "" {
			pending = append(pending, here...)
			continue
		}
		for _, e := range pending {
			e.line = i + 1
			out = append(out, e)
		}
		pending = nil
		out = append(out, here...)
	}
	if len(pending) > 0 {
		t.Fatalf("an ERROR comment alone on the last line points at no line")
	}
	return out
}

// checkDiagnostics parses data and compares its diagnostics with the
// `# ERROR` comments in it.
func checkDiagnostics(t *testing.T, file string, data []byte, reg *ops.Registry) Diagnostics {
	t.Helper()
	want := expectations(t, data)
	if len(want) == 0 {
		t.Fatal("a fixture needs at least one `# ERROR: text` or `# WARNING: text` comment")
	}
	wantErr := false
	for _, e := range want {
		wantErr = wantErr || !e.warn
	}
	pb, err := Parse(file, data, reg)
	var ds Diagnostics
	switch {
	case err == nil && wantErr:
		t.Fatalf("loaded without errors (%d steps); want %v", len(pb.Steps), want)
	case err == nil:
		ds = pb.Warnings
		err = ds
	default:
		if pb != nil {
			t.Errorf("Parse returned a playbook along with errors")
		}
		var ok bool
		if ds, ok = err.(Diagnostics); !ok {
			t.Fatalf("error is %T, want Diagnostics: %v", err, err)
		}
	}
	checkSorted(t, ds)
	used := make([]bool, len(ds))
	var missing []string
	for _, e := range want {
		found := false
		for i, d := range ds {
			if !used[i] && d.Pos.Line == e.line && (e.col == 0 || d.Pos.Col == e.col) && (d.Severity == SeverityWarning) == e.warn && strings.Contains(d.Msg, e.text) {
				used[i], found = true, true
				break
			}
		}
		if !found {
			missing = append(missing, e.String())
		}
	}
	var unexpected []string
	for i, d := range ds {
		if d.File != file {
			t.Errorf("diagnostic names file %q, want %q", d.File, file)
		}
		if !used[i] {
			unexpected = append(unexpected, fmt.Sprintf("%d:%d: %s: %s", d.Pos.Line, d.Pos.Col, d.Severity, d.Msg))
		}
	}
	if len(missing) > 0 || len(unexpected) > 0 {
		t.Errorf("diagnostics do not match the ERROR comments\nmissing:\n  %s\nunexpected:\n  %s\nall:\n%v",
			orNone(missing), orNone(unexpected), err)
	}
	return ds
}

func checkSorted(t *testing.T, ds Diagnostics) {
	t.Helper()
	sorted := sort.SliceIsSorted(ds, func(i, j int) bool {
		a, b := ds[i].Pos, ds[j].Pos
		return a.Line < b.Line || a.Line == b.Line && a.Col < b.Col
	})
	if !sorted {
		t.Errorf("diagnostics are not sorted by position:\n%v", ds)
	}
	for _, d := range ds {
		// A zero position is the whole file's (one too large to read).
		if d.Pos != (Pos{}) && (d.Pos.Line < 1 || d.Pos.Col < 1) {
			t.Errorf("diagnostic at %d:%d; positions are 1-based: %s", d.Pos.Line, d.Pos.Col, d.Msg)
		}
	}
}

// TestExpectations checks the harness's reading of ERROR comments.
func TestExpectations(t *testing.T) {
	src := strings.Join([]string{
		"version: 1",
		"name: x   # ERROR: first",
		"# ERROR@3: second",
		"#   ERROR: third",
		"steps: [] # ERROR@8: fourth # ERROR: fifth",
		"# an ordinary comment",
		"x: 1 # WARNING@4: sixth",
	}, "\n")
	want := []expectation{{2, 0, "first", false}, {5, 3, "second", false}, {5, 0, "third", false}, {5, 8, "fourth", false}, {5, 0, "fifth", false}, {7, 4, "sixth", true}}
	got := expectations(t, []byte(src))
	if diff := cmp.Diff(want, got, cmp.AllowUnexported(expectation{})); diff != "" {
		t.Errorf("expectations (-want +got):\n%s", diff)
	}
}

// TestAllProblemsAtOnce checks that one load reports every problem of a
// file with many mistakes, in position order, each with its position.
func TestAllProblemsAtOnce(t *testing.T) {
	file := filepath.Join(fixtureDir, "invalid", "many_mistakes.yaml")
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	ds := checkDiagnostics(t, file, data, fixtureRegistry(t))
	if len(ds) < 5 {
		t.Fatalf("got %d diagnostics, want every one of the mistakes (at least 5):\n%v", len(ds), ds)
	}
	lines := strings.Split(ds.Error(), "\n")
	if len(lines) != len(ds) {
		t.Errorf("Diagnostics.Error prints %d lines for %d diagnostics", len(lines), len(ds))
	}
	for i, l := range lines {
		prefix := fmt.Sprintf("%s:%d:%d: ", file, ds[i].Pos.Line, ds[i].Pos.Col)
		if !strings.HasPrefix(l, prefix) {
			t.Errorf("line %d of the error is %q; want it to start with %q", i, l, prefix)
		}
	}
}

func orNone(list []string) string {
	if len(list) == 0 {
		return "(none)"
	}
	return strings.Join(list, "\n  ")
}
