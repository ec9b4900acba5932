package steps

import (
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	"github.com/expr-lang/expr/ast"

	"github.com/arsenal-run/arsenal-run/internal/exprsafe"
)

// int(), float(), date() and fromJSON() given a literal text they cannot
// read fail every run that reaches them: literalDurations says so at
// load, in the words a run would use, with what to write.

// dateLayouts are the layouts date() with one argument tries, as expr's
// built-in does.
var dateLayouts = []string{
	"2006-01-02", "15:04:05", "2006-01-02 15:04:05",
	time.RFC3339, time.RFC822, time.RFC850, time.RFC1123,
}

const everyRun = ", so every run that reaches it fails"

func (l *literalDurations) number(fn string, arg ast.Node) {
	s, ok := arg.(*ast.StringNode)
	if !ok {
		return
	}
	var err error
	msg := fmt.Sprintf("int(%s): the text is not a whole number%s; write the number without quotes, as 42, or digits alone, as int(\"42\")", strconv.Quote(s.Value), everyRun)
	if fn == "int" {
		_, err = strconv.Atoi(s.Value)
	} else {
		_, err = strconv.ParseFloat(s.Value, 64)
		msg = fmt.Sprintf("float(%s): the text is not a number%s; write the number without quotes, as 2.5, or a number alone, as float(\"2.5\")", strconv.Quote(s.Value), everyRun)
	}
	if err == nil {
		return
	}
	l.err = &exprError{runeOffset(l.src, arg.Location().From), msg}
}

// date checks date(text), date(text, layout) and date(text, layout, zone)
// with literal text and layout.
func (l *literalDurations) date(args []ast.Node) {
	s, ok := args[0].(*ast.StringNode)
	if !ok {
		return
	}
	if len(args) == 1 {
		for _, layout := range dateLayouts {
			if _, err := time.Parse(layout, s.Value); err == nil {
				return
			}
		}
		l.err = &exprError{runeOffset(l.src, s.Location().From), exprsafe.NotDate(s.Value, "", everyRun)}
		return
	}
	layout, ok := args[1].(*ast.StringNode)
	if !ok {
		return
	}
	if _, err := time.Parse(layout.Value, s.Value); err == nil {
		return
	}
	l.err = &exprError{runeOffset(l.src, s.Location().From), exprsafe.NotDate(s.Value, layout.Value, everyRun)}
}

// fromJSON checks fromJSON(text) with a literal text, which must be a
// JSON document.
func (l *literalDurations) fromJSON(arg ast.Node) {
	s, ok := arg.(*ast.StringNode)
	if !ok {
		return
	}
	var v any
	if err := json.Unmarshal([]byte(s.Value), &v); err != nil {
		l.err = &exprError{runeOffset(l.src, arg.Location().From), exprsafe.NotJSON(err.Error(), everyRun)}
	}
}
