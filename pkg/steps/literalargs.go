package steps

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/expr-lang/expr/ast"

	"github.com/arsenal-run/arsenal-run/internal/yamlx"
)

// literalDurations finds a duration() given a literal that is no
// duration, which would fail every run that reaches it: said at load, with
// the hours to write for one in days or weeks; a timezone() or date()
// given a literal zone that does not exist; and int(), float(), date() or
// fromJSON() given a literal text they cannot read (literalparse.go).
// A literal zone that loads but is likely meant the other way round,
// Etc/GMT+2, is a warning in warns.
type literalDurations struct {
	src   string
	err   *exprError
	warns []exprError
}

func (l *literalDurations) Visit(node *ast.Node) {
	if l.err != nil {
		return
	}
	var name string
	var args []ast.Node
	switch n := (*node).(type) {
	case *ast.BuiltinNode:
		name, args = n.Name, n.Arguments
	case *ast.CallNode:
		if id, ok := n.Callee.(*ast.IdentifierNode); ok {
			name, args = id.Value, n.Arguments
		}
	}
	switch {
	case name == "duration" && len(args) == 1:
		l.duration(args[0])
	case name == "timezone" && len(args) == 1:
		l.zone(name, args[0])
	case (name == "int" || name == "float") && len(args) == 1:
		l.number(name, args[0])
	case name == "fromJSON" && len(args) == 1:
		l.fromJSON(args[0])
	case name == "date" && len(args) >= 1 && len(args) <= 4:
		if isLocation(args[0]) {
			// date(timezone("Europe/Paris"), text, layout): the zone
			// first, then the forms of date() without it.
			args = args[1:]
		}
		if len(args) == 0 || len(args) > 3 {
			return
		}
		if len(args) == 3 {
			if l.zone(name, args[2]); l.err != nil {
				return
			}
		}
		l.date(args)
	}
}

// isLocation reports whether n gives a time zone, as date() takes before
// its text: a call of timezone(), or of a time's Location().
func isLocation(n ast.Node) bool {
	var callee ast.Node
	switch c := n.(type) {
	case *ast.BuiltinNode:
		return c.Name == "timezone"
	case *ast.CallNode:
		callee = c.Callee
	}
	switch id := callee.(type) {
	case *ast.IdentifierNode:
		return id.Value == "timezone"
	case *ast.MemberNode:
		p, ok := id.Property.(*ast.StringNode)
		return ok && p.Value == "Location"
	}
	return false
}

func (l *literalDurations) duration(arg ast.Node) {
	s, ok := arg.(*ast.StringNode)
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
	l.err = &exprError{runeOffset(l.src, arg.Location().From), msg}
}

// zone refuses a literal time zone of timezone() or date() that the
// run's time.LoadLocation would not find, as schedule.timezone is
// refused, with the name it may have meant; and warns of one like
// Etc/GMT+2, which is behind UTC, not ahead, as schedule.timezone is
// warned of, and of Local, the zone of whichever machine runs it.
func (l *literalDurations) zone(fn string, arg ast.Node) {
	s, ok := arg.(*ast.StringNode)
	if !ok {
		return
	}
	if s.Value == "Local" {
		// It loads, as the zone of whichever machine evaluates it.
		msg := fmt.Sprintf("%s(): \"Local\" is the time zone of whichever machine runs the playbook (a CI runner, a server kept in UTC), so the same run gives other times elsewhere, and schedule.timezone refuses it; name the zone, like \"Europe/Berlin\", or write \"UTC\"", fn)
		l.warns = append(l.warns, exprError{runeOffset(l.src, arg.Location().From), msg})
		return
	}
	if _, err := time.LoadLocation(s.Value); err == nil {
		if w := etcOffsetWarning(s.Value); w != "" {
			msg := fmt.Sprintf("%s(): %s", fn, strings.TrimPrefix(w, "timezone "))
			l.warns = append(l.warns, exprError{runeOffset(l.src, arg.Location().From), msg})
		}
		return
	}
	msg := fmt.Sprintf("%s(): unknown time zone %s%s", fn, strconv.Quote(yamlx.Truncate(s.Value, 60)), zoneHint(s.Value))
	l.err = &exprError{runeOffset(l.src, arg.Location().From), msg}
}

// literalRanges finds a range written with two literal ends, a..b, that
// holds more items than one evaluation's memory budget allows, which
// would fail every run that reaches it: said at load. One on the right
// of in is not built: x is compared with its ends (see exprsafe's
// routeInRange).
type literalRanges struct {
	src    string
	ranges []*ast.BinaryNode
	inOf   map[ast.Node]bool
}

func (l *literalRanges) Visit(node *ast.Node) {
	n, ok := (*node).(*ast.BinaryNode)
	if !ok {
		return
	}
	switch n.Operator {
	case "..":
		l.ranges = append(l.ranges, n)
	case "in":
		if l.inOf == nil {
			l.inOf = map[ast.Node]bool{}
		}
		l.inOf[n.Right] = true
	}
}

// err is the first range over the budget, or nil.
func (l *literalRanges) err() *exprError {
	for _, r := range l.ranges {
		from, ok1 := intLit(r.Left)
		to, ok2 := intLit(r.Right)
		if !ok1 || !ok2 || to < from || uint64(to)-uint64(from) < MaxExprMemory || l.inOf[r] {
			continue
		}
		msg := fmt.Sprintf("%d..%d is a range of more than %d items, over the limit of one evaluation's memory, so every run that reaches it fails; use a smaller range, or split the work across steps", from, to, MaxExprMemory)
		return &exprError{runeOffset(l.src, r.Left.Location().From), msg}
	}
	return nil
}

// intLit is the value of an integer literal, negative or not.
func intLit(n ast.Node) (int, bool) {
	switch x := n.(type) {
	case *ast.IntegerNode:
		return x.Value, true
	case *ast.UnaryNode:
		if v, ok := x.Node.(*ast.IntegerNode); ok && x.Operator == "-" {
			return -v.Value, true
		}
	}
	return 0, false
}
