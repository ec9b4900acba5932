package inventory

// Every file under testdata/valid must load; every file under
// testdata/invalid says in `# ERROR: text` comments (`# ERROR@col: text`
// for a column) which diagnostics it must produce, on which line, as the
// playbook fixtures do. `# SCHEMA: invalid` marks those the JSON Schema
// must reject too.

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/arsenal-run/arsenal-run/internal/yamlx"
	"github.com/arsenal-run/arsenal-run/schema/schematest"
)

func fixtures(t *testing.T, kind string) []string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join("testdata", kind, "*.yaml"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no fixtures in testdata/%s (%v)", kind, err)
	}
	return files
}

func TestValidFixtures(t *testing.T) {
	s := schematest.Compile(t, "inventory")
	for _, file := range fixtures(t, "valid") {
		t.Run(filepath.Base(file), func(t *testing.T) {
			data, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			inv, err := Parse(file, data)
			if err != nil {
				t.Fatalf("want no diagnostics, got:\n%v", err)
			}
			if len(inv.HostNames()) == 0 {
				t.Fatal("loaded with no hosts")
			}
			v, err := schematest.FromYAML(data)
			if err != nil {
				t.Fatal(err)
			}
			if err := s.Validate(v); err != nil {
				t.Errorf("does not match the schema:\n%v", err)
			}
		})
	}
}

type expectation struct {
	line, col int
	text      string
}

var errorRE = regexp.MustCompile(`#\s*ERROR(?:@(\d+))?:`)

// expectations reads the `# ERROR` comments; one alone on its line points
// at the next line.
func expectations(t *testing.T, data []byte) []expectation {
	var out, pending []expectation
	for i, line := range strings.Split(string(data), "\n") {
		ms := errorRE.FindAllStringSubmatchIndex(line, -1)
		if len(ms) == 0 {
			for _, e := range pending {
				e.line = i + 1
				out = append(out, e)
			}
			pending = nil
			continue
		}
		for j, m := range ms {
			end := len(line)
			if j+1 < len(ms) {
				end = ms[j+1][0]
			}
			e := expectation{line: i + 1, text: strings.TrimSpace(line[m[1]:end])}
			if m[2] >= 0 {
				e.col, _ = strconv.Atoi(line[m[2]:m[3]])
			}
			if strings.TrimSpace(line[:ms[0][0]]) == "" {
				pending = append(pending, e)
			} else {
				out = append(out, e)
			}
		}
	}
	if len(pending) > 0 {
		t.Fatal("an ERROR comment on the last line points at no line")
	}
	return out
}

func TestInvalidFixtures(t *testing.T) {
	s := schematest.Compile(t, "inventory")
	for _, file := range fixtures(t, "invalid") {
		t.Run(filepath.Base(file), func(t *testing.T) {
			data, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			want := expectations(t, data)
			if len(want) == 0 {
				t.Fatal("an invalid fixture needs at least one `# ERROR: text` comment")
			}
			inv, err := Parse(file, data)
			if err == nil {
				t.Fatalf("loaded %d hosts without diagnostics; want %v", len(inv.HostNames()), want)
			}
			var ds yamlx.Diagnostics
			if !errors.As(err, &ds) {
				t.Fatalf("error is %T, want yamlx.Diagnostics: %v", err, err)
			}
			used := make([]bool, len(ds))
			for _, e := range want {
				found := false
				for i, d := range ds {
					if !used[i] && d.Pos.Line == e.line && (e.col == 0 || d.Pos.Col == e.col) && strings.Contains(d.Msg, e.text) {
						used[i], found = true, true
						break
					}
				}
				if !found {
					t.Errorf("missing diagnostic at line %d (col %d) containing %q", e.line, e.col, e.text)
				}
			}
			for i, d := range ds {
				if !used[i] {
					t.Errorf("unexpected diagnostic: %v", d)
				}
				if d.File != file {
					t.Errorf("diagnostic names file %q, want %q", d.File, file)
				}
				if i > 0 && (ds[i-1].Pos.Line > d.Pos.Line || ds[i-1].Pos.Line == d.Pos.Line && ds[i-1].Pos.Col > d.Pos.Col) {
					t.Errorf("diagnostics not sorted by position: %v before %v", ds[i-1], d)
				}
			}
			if bytes.Contains(data, []byte("# SCHEMA: invalid")) {
				v, err := schematest.FromYAML(data)
				if err != nil {
					t.Fatalf("marked a schema matter, but is not YAML data: %v", err)
				}
				if err := s.Validate(v); err == nil {
					t.Error("passes the schema; want it refused")
				}
			}
		})
	}
}
