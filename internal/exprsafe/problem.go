package exprsafe

import (
	"errors"
	"fmt"
	"reflect"
	"strings"

	"github.com/expr-lang/expr/file"
	"github.com/expr-lang/expr/vm"
)

// Problem is what to say about err, an error of evaluating program: its
// first line, unless it is one that only speaks of expr's machinery. A
// function over a list (all, any, filter, map, count, sum, sortBy, ...)
// given null or a single value panics in reflect, "call of
// reflect.Value.Len on zero Value", which tells nobody that, say, the
// fan-out whose output it read was skipped. It then names the function
// and what it was given, and, for null, says nullAdvice: why a value may
// be null where the expression is written, and what to do.
func Problem(program *vm.Program, err error, nullAdvice string) string {
	var ve *reflect.ValueError
	if !errors.As(err, &ve) || ve.Method != "reflect.Value.Len" && ve.Method != "reflect.Value.Index" {
		msg := err.Error()
		if i := strings.IndexByte(msg, '\n'); i >= 0 {
			msg = msg[:i]
		}
		return msg
	}
	what := "a function over a list"
	var fe *file.Error
	if errors.As(err, &fe) && program != nil {
		if name := callAt(program.Source().String(), fe.From); name != "" {
			what = name + "()"
		}
	}
	switch ve.Kind {
	case reflect.Invalid:
		return fmt.Sprintf("%s was given null, not a list: %s", what, nullAdvice)
	case reflect.Map, reflect.Struct:
		return fmt.Sprintf("%s was given a map, not a list; go over keys(m) or values(m)", what)
	}
	return fmt.Sprintf("%s was given a %s, not a list", what, kindName(ve.Kind))
}

// callAt returns the name of the function called at rune offset from of
// src (all in "all(xs, ...)"), or "" when a call does not start there.
func callAt(src string, from int) string {
	r := []rune(src)
	if from < 0 || from >= len(r) {
		return ""
	}
	end := from
	for end < len(r) && (r[end] == '_' || r[end] >= 'a' && r[end] <= 'z' || r[end] >= 'A' && r[end] <= 'Z' || end > from && r[end] >= '0' && r[end] <= '9') {
		end++
	}
	if end == from || end >= len(r) || r[end] != '(' {
		return ""
	}
	return string(r[from:end])
}

// kindName names a kind of value as the playbook docs do.
func kindName(k reflect.Kind) string {
	switch k {
	case reflect.Bool:
		return "bool"
	case reflect.String:
		return "string"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "integer"
	case reflect.Float32, reflect.Float64:
		return "number"
	}
	return k.String()
}
