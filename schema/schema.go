// Package schema holds the JSON Schemas (draft 2020-12) of the files
// arsenal-run reads and writes: playbooks, reports, policies, inventories and
// the keys file of serve, and what validate --format json prints. They are
// embedded so that `arsenal-run schema NAME` prints them.
package schema

import (
	"embed"
	"fmt"
	"sort"
	"strings"
)

//go:generate go run ./gen

//go:embed *.schema.json
var files embed.FS

// Get returns the schema called name ("playbook", "report", "policy",
// "inventory", "keys", "validate").
func Get(name string) ([]byte, error) {
	b, err := files.ReadFile(name + ".schema.json")
	if err != nil {
		return nil, fmt.Errorf("no schema %q; known: %s", name, strings.Join(Names(), ", "))
	}
	return b, nil
}

// Names lists the embedded schemas.
func Names() []string {
	entries, _ := files.ReadDir(".")
	var out []string
	for _, e := range entries {
		out = append(out, strings.TrimSuffix(e.Name(), ".schema.json"))
	}
	sort.Strings(out)
	return out
}
