package auth

import (
	"fmt"
	"strings"

	"github.com/arsenal-run/arsenal-run/pkg/ops"
)

// BuiltinTable renders, as a Markdown table, what each built-in role may
// run among the operations of reg. docs/authorization.md holds its output
// and a test keeps the two equal.
func BuiltinTable(reg *ops.Registry) string {
	p := Builtin()
	roles := []string{RoleViewer, RoleOperator, RoleAdmin}
	var b strings.Builder
	b.WriteString("| operation | risk | viewer | operator | admin |\n|---|---|---|---|---|\n")
	for _, e := range reg.List("") {
		fmt.Fprintf(&b, "| `%s` | %s |", e.Spec.Name, e.Spec.Risk)
		for _, r := range roles {
			s, _ := p.Subject([]string{r}, nil)
			mark := "—"
			if s.Decide(e.Spec.Name, e.Spec.Risk).Allowed {
				mark = "yes"
			}
			b.WriteString(" " + mark + " |")
		}
		b.WriteString("\n")
	}
	return b.String()
}
