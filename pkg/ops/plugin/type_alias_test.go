package plugin_test

import (
	"strings"
	"testing"
)

// TestTypeAliasNamed: a param typed as a playbook's input is (int, list,
// map, bool) is told JSON Schema's name for it, at its position, not
// only the list of the names the meta-schema takes.
func TestTypeAliasNamed(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, "ok.prog", "#!/bin/sh\necho '{}'\n", 0o755)
	write(t, dir, "p.yaml", "name: acme.p\n"+head+
		"params:\n  type: object\n  properties:\n    n: {type: int}\n    l: {type: list}\n    b: {type: [bool, \"null\"]}\n    a: {type: any}\n", 0o644)
	_, got := loadDiags(t, dir)
	want := []string{
		"p.yaml:10:15: params.properties.n.type: ", "; JSON Schema calls int integer: write type: integer",
		"p.yaml:11:15: params.properties.l.type: ", "; JSON Schema calls list array: write type: array",
		"p.yaml:12:16: params.properties.b.type.0: ", "; JSON Schema calls bool boolean: write type: boolean",
		"p.yaml:13:15: params.properties.a.type: ", "; for any value, leave type out",
	}
	text := strings.Join(got, "\n")
	for i := 0; i < len(want); i += 2 {
		found := false
		for _, g := range got {
			if strings.HasPrefix(g, want[i]) && strings.Contains(g, want[i+1]) {
				found = true
			}
		}
		if !found {
			t.Errorf("no diagnostic %q…%q in:\n%s", want[i], want[i+1], text)
		}
	}
}
