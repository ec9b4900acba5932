package auth

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/arsenal-run/arsenal-run/pkg/ops"
	"github.com/arsenal-run/arsenal-run/pkg/ops/builtin"
	"github.com/arsenal-run/arsenal-run/schema/schematest"
)

// policyBlock matches a block that shows a policy: one with its
// top-level roles: or rate:.
var policyBlock = regexp.MustCompile(`(?m)^(roles|rate):`)

var placeholderHash = regexp.MustCompile(`sha256: "[^"]*"`)

// TestDocsPolicies loads every policy example in docs/authorization.md
// (each YAML block with roles: or rate:) as it is, so that one copied
// into a file loads, and checks it against the schema, so the documented
// syntax is the syntax the loader reads.
func TestDocsPolicies(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("..", "..", "docs", "authorization.md"))
	if err != nil {
		t.Fatal(err)
	}
	reg := ops.NewRegistry()
	if err := builtin.Register(reg, builtin.Options{}); err != nil {
		t.Fatal(err)
	}
	defer reg.Close()
	s := schematest.Compile(t, "policy")
	n := 0
	for i, block := range strings.Split(string(b), "```yaml\n")[1:] {
		src, _, _ := strings.Cut(block, "```")
		if !policyBlock.MatchString(src) {
			continue
		}
		// Hashes are placeholders in the docs.
		src = placeholderHash.ReplaceAllString(src, `sha256: "`+strings.Repeat("0", 64)+`"`)
		n++
		if _, err := ParsePolicy("docs-policy.yaml", []byte(src), reg); err != nil {
			t.Errorf("policy example %d does not load:\n%s\n%v", i+1, src, err)
		}
		if err := s.Validate(yamlToJSON(t, []byte(src))); err != nil {
			t.Errorf("policy example %d does not match the schema: %v\n%s", i+1, err, src)
		}
	}
	if n < 3 {
		t.Errorf("found %d policy examples, want the documented ones", n)
	}
}
