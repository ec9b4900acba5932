// Package exprsafe holds what playbook expressions and operation templates
// share to keep a short expr-lang expression from taking unbounded time or
// memory, and the scanner that finds where a ${{ }} expression ends.
package exprsafe

import (
	"reflect"
	"strings"

	"github.com/expr-lang/expr"
	"github.com/expr-lang/expr/builtin"
	"github.com/expr-lang/expr/conf"
)

// Removed are the built-ins that can allocate without bound from a short
// expression. reduce is among them because its accumulator can grow a
// string by a copy per item, which takes minutes on a list the memory
// budget still allows. replace comes back bounded, from Harden.
var Removed = []string{"repeat", "replace", "reduce"}

// Harden caps cfg's syntax tree at maxNodes, removes the Removed built-ins,
// installs a replace whose result is at most maxString bytes, and the
// bounded builders that Check routes +, join, toJSON, split and the like
// through, urlPathEscape and urlQueryEscape, the test Check makes of
// x in lo..hi, and a type() that names no Go type.
func Harden(cfg *conf.Config, maxNodes uint, maxString, maxWork int) {
	expr.MaxNodes(maxNodes)(cfg)
	for _, name := range Removed {
		expr.DisableBuiltin(name)(cfg)
		delete(cfg.Builtins, name)
	}
	cfg.Functions["replace"] = &builtin.Function{
		Name:  "replace",
		Func:  boundedReplace(maxString),
		Types: []reflect.Type{reflect.TypeOf(strings.ReplaceAll)},
	}
	addBuilders(cfg, maxString, maxWork)
	addURLEscape(cfg, maxString)
	addWork(cfg)
	addInRange(cfg)
	addListCheck(cfg)
	addMatch(cfg)
	addType(cfg)
}

// boundedReplace is replace(s, old, new) with its result bounded by limit,
// for an expression Check has not routed (it then has no budget).
func boundedReplace(limit int) func(params ...any) (any, error) {
	return func(params ...any) (any, error) {
		b := &budget{max: limit, left: limit}
		return buildReplace(append([]any{b}, params...)...)
	}
}

// replaceSize is the length of strings.ReplaceAll(s, old, repl), computed
// without building it.
func replaceSize(s, old, repl string) int {
	n := strings.Count(s, old)
	if old == "" {
		n = len(s) + 1
	}
	return len(s) + n*(len(repl)-len(old))
}

// CloseExpr returns the index of the "}}" that ends an expression starting
// at i, skipping string literals and nested braces, or -1.
func CloseExpr(s string, i int) int {
	depth := 0
	var quote byte
	for ; i < len(s); i++ {
		c := s[i]
		if quote != 0 {
			if c == '\\' && quote != '`' {
				i++
			} else if c == quote {
				quote = 0
			}
			continue
		}
		switch c {
		case '"', '\'', '`':
			quote = c
		case '{':
			depth++
		case '}':
			if depth == 0 {
				if i+1 < len(s) && s[i+1] == '}' {
					return i
				}
				return -1
			}
			depth--
		}
	}
	return -1
}
