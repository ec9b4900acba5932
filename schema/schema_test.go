package schema_test

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/arsenal-run/arsenal-run/schema"
	"github.com/arsenal-run/arsenal-run/schema/schematest"
)

func glob(t *testing.T, pattern string) []string {
	t.Helper()
	files, err := filepath.Glob(pattern)
	if err != nil {
		t.Fatal(err)
	}
	return files
}

// TestValidPlaybooks validates the checked-in playbooks and the valid
// fixtures against the playbook schema. The playbooks/ folder may be empty.
func TestValidPlaybooks(t *testing.T) {
	s := schematest.Compile(t, "playbook")
	files := append(glob(t, "../playbooks/*.yaml"), glob(t, "../playbooks/*/*.yaml")...)
	fixtures := glob(t, "../testdata/playbooks/valid/*.yaml")
	if len(fixtures) == 0 {
		t.Fatal("no valid fixtures")
	}
	for _, file := range append(files, fixtures...) {
		t.Run(strings.TrimPrefix(file, "../"), func(t *testing.T) {
			data, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
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

// TestSchemaInvalidFixtures checks that the invalid fixtures marked
// `# SCHEMA: invalid` (those whose mistake a schema can see) fail the
// schema too, so that editors flag them.
func TestSchemaInvalidFixtures(t *testing.T) {
	s := schematest.Compile(t, "playbook")
	n := 0
	for _, file := range glob(t, "../testdata/playbooks/invalid/*.yaml") {
		data, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Contains(data, []byte("# SCHEMA: invalid")) {
			continue
		}
		n++
		t.Run(filepath.Base(file), func(t *testing.T) {
			v, err := schematest.FromYAML(data)
			if err != nil {
				t.Fatalf("marked a schema matter, but is not even YAML data: %v", err)
			}
			if err := s.Validate(v); err == nil {
				t.Error("passes the schema; want it refused")
			}
		})
	}
	if n < 20 {
		t.Errorf("only %d fixtures are marked `# SCHEMA: invalid`", n)
	}
}

func TestGet(t *testing.T) {
	if !slices.Contains(schema.Names(), "playbook") {
		t.Errorf("Names() = %v; want it to include playbook", schema.Names())
	}
	for _, name := range schema.Names() {
		var v map[string]any
		b, err := schema.Get(name)
		if err != nil || json.Unmarshal(b, &v) != nil || v["$schema"] != "https://json-schema.org/draft/2020-12/schema" {
			t.Errorf("Get(%s): want a draft 2020-12 JSON Schema (err %v)", name, err)
		}
		// docs/cli.md: the $id names the schema, as an editor's
		// settings and a $ref from another schema take it.
		if want := "https://arsenal-run.dev/schema/" + name + ".schema.json"; v["$id"] != want {
			t.Errorf("Get(%s): $id is %v; want %s", name, v["$id"], want)
		}
	}
	if _, err := schema.Get("nope"); err == nil || !strings.Contains(err.Error(), "playbook") {
		t.Errorf("Get(nope) = %v; want an error listing the known schemas", err)
	}
}
