package steps

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"strings"
	"testing"
)

// TestLimitsDocumented keeps docs/playbooks.md in step with limits.go: every
// limit constant, which the loader's messages name, must be mentioned in
// the user documentation. It is skipped until that page exists.
func TestLimitsDocumented(t *testing.T) {
	doc, err := os.ReadFile("../../docs/playbooks.md")
	if os.IsNotExist(err) {
		t.Skip("docs/playbooks.md is not written yet")
	}
	if err != nil {
		t.Fatal(err)
	}
	f, err := parser.ParseFile(token.NewFileSet(), "limits.go", nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, d := range f.Decls {
		if g, ok := d.(*ast.GenDecl); ok && g.Tok == token.CONST {
			for _, s := range g.Specs {
				for _, n := range s.(*ast.ValueSpec).Names {
					names = append(names, n.Name)
				}
			}
		}
	}
	if len(names) < 10 {
		t.Fatalf("found %d limits in limits.go; the parse went wrong", len(names))
	}
	for _, n := range names {
		if !strings.Contains(string(doc), n) {
			t.Errorf("docs/playbooks.md does not mention %s", n)
		}
	}
}
