package server

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/arsenal-run/arsenal-run/schema/schematest"
)

// TestExampleKeysFiles loads every example keys file and checks it against
// the JSON Schema, so the schema, the loader and the examples agree; and
// files the loader refuses for their shape, the schema refuses too.
func TestExampleKeysFiles(t *testing.T) {
	s := schematest.Compile(t, "keys")
	files, _ := filepath.Glob("testdata/keys/*.yaml")
	if len(files) == 0 {
		t.Fatal("no example keys files")
	}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := ParseKeys(f, data); err != nil {
			t.Errorf("%s: %v", f, err)
		}
		v, err := schematest.FromYAML(data)
		if err != nil {
			t.Fatal(err)
		}
		if err := s.Validate(v); err != nil {
			t.Errorf("%s does not match the schema: %v", f, err)
		}
	}
	digest := "0a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f9"
	for _, bad := range []string{
		"version: 2\n",
		"keys: []\n",
		"version: 1\nkeys:\n  - {name: ci, sha256: abc, roles: [x]}\n",
		"version: 1\nkeys:\n  - {name: ci, sha256: " + digest + ", role: [x]}\n",
		"version: 1\nkeys:\n  - {name: ci, sha256: " + digest + ", roles: []}\n",
		"version: 1\nkeys:\n  - {name: ci, sha256: " + digest + ", roles: [x], expires: soon}\n",
		"version: 1\ncerts:\n  - {roles: [x]}\n",
		"version: 1\nkey: []\n",
	} {
		if _, err := ParseKeys("bad.yaml", []byte(bad)); err == nil {
			t.Errorf("the loader accepts %q", bad)
		}
		v, err := schematest.FromYAML([]byte(bad))
		if err != nil {
			t.Fatal(err)
		}
		if err := s.Validate(v); err == nil {
			t.Errorf("the schema accepts %q", bad)
		}
	}
}
