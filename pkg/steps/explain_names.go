package steps

import (
	"fmt"
	"regexp"
	"sort"
	"strings"

	"github.com/expr-lang/expr/builtin"
	"github.com/expr-lang/expr/types"

	"github.com/arsenal-run/arsenal-run/internal/suggest"
)

// A name the checker does not know, when it is called, is a misspelt
// function, not a misspelt root: ${{ lenn(x) }} means len, not env.

// funcNameRE matches a function's name as a playbook calls it; the
// functions named otherwise (exprsafe.…) are internal.
var funcNameRE = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// called reports whether the name at byte off of src is followed by an
// opening parenthesis, that is called, as in lenn(x) or x | uper().
func called(src string, off int, name string) bool {
	if off < 0 || off > len(src) || !strings.HasPrefix(src[off:], name) {
		return false
	}
	return strings.HasPrefix(strings.TrimLeft(src[off+len(name):], " \t\r\n"), "(")
}

// unknownFunc explains a call of a function that does not exist, with the
// closest function an expression in scope s can call.
func (c *exprCompiler) unknownFunc(name string, s scope) string {
	cfg := c.config(s)
	var names []string
	for _, n := range builtin.Names {
		if !cfg.Disabled[n] {
			names = append(names, n)
		}
	}
	for n := range cfg.Functions {
		if funcNameRE.MatchString(n) {
			names = append(names, n)
		}
	}
	sort.Strings(names)
	return fmt.Sprintf("unknown function %s%s; the functions an expression can call are listed in docs/playbooks.md, under \"Built-in functions\"", name, suggest.DidYouMean(name, names))
}

// unknownFieldRE matches the checker's message for a field a map of known
// fields (run, and error in a retry's until) does not have.
var unknownFieldRE = regexp.MustCompile(`^unknown field (\S+)$`)

// fieldBaseRE finds the name a field is read from, just before the field:
// run in run.stauts or run?.stauts.
var fieldBaseRE = regexp.MustCompile(`([A-Za-z_][A-Za-z0-9_]*)\s*\??\.\s*$`)

// unknownField names the fields of run or error when field, at byte off
// of src, is read from one of them; "" when it is read from something else.
func unknownField(field, src string, off int) string {
	if off < 0 || off > len(src) {
		return ""
	}
	m := fieldBaseRE.FindStringSubmatch(src[:off])
	if m == nil {
		return ""
	}
	var names []string
	switch m[1] {
	case EnvRun:
		names = runFields
	case EnvError:
		names = errorFields
	default:
		return ""
	}
	return fmt.Sprintf("%s has no field %q%s; it has %s", m[1], field, suggest.DidYouMean(field, names), strings.Join(names, ", "))
}

// runType is what an expression can read of run.
var runType = types.Map{"id": types.String, "playbook": types.String, "status": types.String, "started_at": types.String, "failed_steps": types.TypeOf([]any{}), "url": types.String}
