package auth

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/arsenal-run/arsenal-run/pkg/engine"
	"github.com/arsenal-run/arsenal-run/pkg/ops"
	"github.com/arsenal-run/arsenal-run/pkg/ops/builtin"
)

var update = flag.Bool("update", false, "rewrite docs/authorization.md's generated table")

const (
	tableBegin = "<!-- BEGIN builtin table: generated from the operations' risk levels; a test keeps it in sync -->\n"
	tableEnd   = "<!-- END builtin table -->"
)

// TestDocsTable keeps the built-in policy table in docs/authorization.md
// equal to what the operations' risk levels give.
func TestDocsTable(t *testing.T) {
	reg := ops.NewRegistry()
	if err := builtin.Register(reg, builtin.Options{}); err != nil {
		t.Fatal(err)
	}
	defer reg.Close()
	if err := engine.RegisterPlaybookOp(engine.New(reg)); err != nil {
		t.Fatal(err)
	}
	want := BuiltinTable(reg)
	path := filepath.Join("..", "..", "docs", "authorization.md")
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	doc := string(data)
	i, j := strings.Index(doc, tableBegin), strings.Index(doc, tableEnd)
	if i < 0 || j < i {
		t.Fatalf("%s lacks the table markers", path)
	}
	got := doc[i+len(tableBegin) : j]
	if got == want {
		return
	}
	if *update {
		doc = doc[:i+len(tableBegin)] + want + doc[j:]
		if err := os.WriteFile(path, []byte(doc), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	t.Errorf("%s is out of date with the operations; run go test ./pkg/auth -run TestDocsTable -update\n got:\n%s\nwant:\n%s", path, got, want)
}
