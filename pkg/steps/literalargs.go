package steps

import (
	"fmt"
	"strconv"
	"time"

	"github.com/expr-lang/expr/ast"
)

// literalDurations finds a duration() given a literal that is no
// duration, which would fail every run that reaches it: said at load, with
// the hours to write for one in days or weeks.
type literalDurations struct {
	src string
	err *exprError
}

func (l *literalDurations) Visit(node *ast.Node) {
	if l.err != nil {
		return
	}
	var args []ast.Node
	switch n := (*node).(type) {
	case *ast.BuiltinNode:
		if n.Name == "duration" {
			args = n.Arguments
		}
	case *ast.CallNode:
		if id, ok := n.Callee.(*ast.IdentifierNode); ok && id.Value == "duration" {
			args = n.Arguments
		}
	}
	if len(args) != 1 {
		return
	}
	s, ok := args[0].(*ast.StringNode)
	if !ok {
		return
	}
	if _, err := time.ParseDuration(s.Value); err == nil {
		return
	}
	msg := fmt.Sprintf("duration(%s) is not a duration; write one like \"30s\", \"5m\" or \"1h30m\"", strconv.Quote(s.Value))
	if h := InHours(s.Value); h != "" {
		msg = fmt.Sprintf("duration(%s): days and weeks are no unit of a duration; write duration(%s)", strconv.Quote(s.Value), strconv.Quote(h))
	}
	l.err = &exprError{runeOffset(l.src, args[0].Location().From), msg}
}
