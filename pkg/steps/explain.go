package steps

import (
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strings"

	"github.com/expr-lang/expr/types"

	"github.com/arsenal-run/arsenal-run/internal/exprsafe"
	"github.com/arsenal-run/arsenal-run/internal/suggest"
)

// expr's parser and checker say what is wrong in their own terms
// ("unexpected token Operator(\"=\")"); explain adds what to do for the
// mistakes people make most.

var (
	unknownNameRE = regexp.MustCompile(`^unknown name ([A-Za-z_$][A-Za-z0-9_]*)`)
	// predicateMapRE finds a map literal written as the body of map,
	// filter and the like, where { } is read as the predicate.
	// danglingDotRE finds the name an expression cut short after a dot
	// reads from: inputs in ${{ inputs. }}.
	danglingDotRE  = regexp.MustCompile(`(?:^|[^A-Za-z0-9_.])([A-Za-z_][A-Za-z0-9_]*)\.$`)
	predicateMapRE = regexp.MustCompile(`\b(map|filter|all|any|none|one|find|findIndex|findLast|findLastIndex|count|sum|groupBy|sortBy|mean|median)\s*\(([^(){},]*),\s*\{\s*("[^"]*"|'[^']*'|[A-Za-z_][A-Za-z0-9_]*)\s*:`)
)

func (c *exprCompiler) explain(e *exprError, src string, s scope) *exprError {
	msg := e.msg
	if strings.HasPrefix(msg, "unexpected token ") {
		if fix, off := filterPipe(src); fix != "" {
			return &exprError{off, fix}
		}
	}
	if msg == "unexpected end of expression" {
		if fix, off := c.danglingDot(src); fix != "" {
			return &exprError{off, fix}
		}
	}
	if plain := exprsafe.CheckProblem(msg, src); plain != "" {
		return &exprError{e.off, plain}
	}
	switch {
	case strings.Contains(msg, "exceeds maximum allowed nodes"):
		msg = fmt.Sprintf("the expression has more than %d syntax nodes; split it: compute parts in earlier control.set steps or vars and combine their results", MaxExprNodes)
		e = &exprError{0, msg}
	case msg == `unexpected token Operator("=")` && misspeltOperator(src, e.off) != "":
		msg = misspeltOperator(src, e.off)
	case msg == `unexpected token Operator("=")`:
		msg = "= is not an operator in expressions; to compare, write =="
	case strings.HasPrefix(msg, "unexpected token Bracket(") && strayCloser(src, e.off) != "":
		msg = strayCloser(src, e.off)
	case msg == "literal not terminated":
		msg = notTerminated
	case msg == `unexpected token Operator(":")` && predicateMapRE.MatchString(src):
		m := predicateMapRE.FindStringSubmatch(src)
		msg = fmt.Sprintf("in %s(list, { … }) the braces are the predicate, not a map; wrap a map literal in parentheses: %s(%s, ({%s: …}))", m[1], m[1], strings.TrimSpace(m[2]), m[3])
	case msg == "unexpected token EOF":
		msg = "unexpected token EOF: the expression ends too early; close every (, [, { and quote, and give each operator both its sides"
	case strings.HasPrefix(msg, "invalid operation: in "):
		msg += "; in finds an element of a list or a key of a map; for text use contains(text, part)"
	case strings.HasPrefix(msg, "invalid operation: not ") || strings.HasPrefix(msg, "invalid operation: ! "):
		msg += "; not takes true or false: compare the value first, e.g. not (x == \"\")"
	case mismatchRE.MatchString(msg):
		m := mismatchRE.FindStringSubmatch(msg)
		if fix := literalMismatch(src, e.off, m[1], m[2], m[3]); fix != "" {
			msg += fix
		} else {
			msg += exprsafe.MismatchAdvice(m[1], m[2], m[3])
		}
		msg = strings.Replace(msg, m[0], mismatchHead(m[1], m[2], m[3]), 1)
	case cannotUseRE.MatchString(msg):
		m := cannotUseRE.FindStringSubmatch(msg)
		msg = strings.TrimSpace(msg)
		if conv := conversion(m[2], m[1]); conv != "" {
			msg += "; convert it first with " + conv
		}
	case strings.HasPrefix(msg, "type func(") && strings.Contains(msg, "has no field") && strings.HasPrefix(strings.TrimSpace(src), "values."):
		// values is expr's values() function here; the name belongs to
		// file.template, whose expressions the playbook must not evaluate.
		msg = "values is not a name in playbook expressions (it is the function values(map)); in file.template's content, write $${{ values.<name> }} so that the template, not the playbook, evaluates it"
		e = &exprError{0, msg}
	case unknownNameRE.MatchString(msg):
		name := unknownNameRE.FindStringSubmatch(msg)[1]
		msg = c.unknownName(name, s)
		if fix, ok := foreignFuncs[name]; ok && strings.Contains(src, name+"(") {
			msg = fmt.Sprintf("unknown function %s; %s", name, fix)
		} else if called(src, e.off, name) {
			msg = c.unknownFunc(name, s)
		}
	case unknownFieldRE.MatchString(msg):
		if fix := unknownField(unknownFieldRE.FindStringSubmatch(msg)[1], src, e.off); fix != "" {
			msg = fix
		}
	case stateFieldRE.MatchString(msg):
		m := stateFieldRE.FindStringSubmatch(msg)
		what, names := "an item of steps.<id>.items", itemFields
		if m[1] != "steps.ItemState" {
			what, names = "an error", errorFields
		}
		msg = fmt.Sprintf("%s has no field %q%s; it has %s", what, m[2], suggest.DidYouMean(m[2], names), strings.Join(names, ", "))
	default:
		return &exprError{e.off, readableTypes(msg)}
	}
	return &exprError{e.off, readableTypes(msg)}
}

// foreignFuncs are functions of other template languages a playbook's
// author is likely to call, with what expressions write instead.
var foreignFuncs = map[string]string{
	"range":              "a range of whole numbers is written a..b, both ends included, like 0..(inputs.n - 1)",
	"length":             "the length of a list, map or string is len(x)",
	"size":               "the length of a list, map or string is len(x)",
	"str":                "convert to text with string(x)",
	"default":            "for a fallback when x is null, write x ?? fallback",
	"urlencode":          urlEscapeAdvice,
	"encodeURIComponent": urlEscapeAdvice,
}

const urlEscapeAdvice = "escape a value for a URL with urlPathEscape(x), for one path segment, or urlQueryEscape(x), for a query value"

// stateFieldRE matches the checker's message for a field that an item of
// a fan-out's state, or an error, does not have: it names the Go type.
var stateFieldRE = regexp.MustCompile(`^type (steps\.ItemState|steps\.ErrorState|error) has no field (\S+)$`)

// The fields of steps.<id>.items[i] and of steps.<id>.error, as
// expressions name them (see ItemState and ErrorState).
var (
	itemFields  = []string{"index", "item", "status", "output", "error"}
	errorFields = []string{"class", "message"}
)

// pipeRE finds a pipe (not ||) and the name after it; the third group is
// "(" when the name is called.
var pipeRE = regexp.MustCompile(`(?:^|[^|])\|\s*([A-Za-z_][A-Za-z0-9_]*)(\s*\(?)`)

// filterPipe explains `x | upper`, a Jinja or Helm filter: expr pipes a
// value only into a call, `x | upper()`, and otherwise reports the end of
// the expression or the next | as unexpected. It returns what to write and
// the offset of the pipe, or "" when every pipe of src is followed by a
// call.
func filterPipe(src string) (string, int) {
	for _, m := range pipeRE.FindAllStringSubmatchIndex(src, -1) {
		if strings.HasSuffix(src[m[4]:m[5]], "(") {
			continue
		}
		name := src[m[2]:m[3]]
		pipe := strings.LastIndex(src[:m[2]], "|")
		left := strings.TrimSpace(src[:pipe])
		if left == "" || len(left) > 40 {
			left = "x"
		}
		return fmt.Sprintf("| %s is a filter as Jinja and Helm write it; expressions call functions: write %s(%s), or pipe into a call with parentheses: %s | %s()", name, name, left, left, name), pipe
	}
	return "", 0
}

// cannotUseRE matches expr's message for an argument of the wrong type;
// the groups are the type given and the type wanted.
var cannotUseRE = regexp.MustCompile(`^cannot use (\S+) as argument \(type (\S+)\) to call`)

// mismatchRE matches the checker's message for an operator given two
// types it cannot take together; the groups are the operator and the
// types.
var mismatchRE = regexp.MustCompile(`^invalid operation: (\S+) \(mismatched types (.+?) and (.+)\)`)

// conversion is the call that turns a value of type got into one of type
// want, as x, or "" when no built-in does: int() and float() read only
// text that holds a number alone, and take no bool.
func conversion(want, got string) string {
	switch want {
	case "string":
		return "string(x)"
	case "int", "int64", "float64":
		if got != "string" {
			return ""
		}
		call, _ := suggest.NumberFrom("x", want != "float64", nil)
		return call + trimNote
	}
	return ""
}

// trimNote says why trim comes first in a conversion of text.
const trimNote = " (trim drops the newline that ends a command's stdout)"

// readableTypes names Go types as expressions know them.
var readableTypes = strings.NewReplacer(
	"map[string]interface {}", "map",
	"[]interface {}", "list",
	"map[string]string", "map",
	"interface {}", "any",
	"float64", "float",
	"*time.Location", "time zone",
	"time.Time", "time",
	"time.Duration", "duration",
).Replace

// unknownName explains a name that is not in the environment: it may be an
// input, var or step written without its prefix, or a misspelt root name.
func (c *exprCompiler) unknownName(name string, s scope) string {
	for _, x := range []struct {
		prefix string
		names  []string
	}{{EnvInputs, keys(c.base[EnvInputs].(types.Map))}, {EnvVars, keys(c.base[EnvVars].(types.Map))}, {EnvSteps, c.stepIDs}} {
		for _, n := range x.names {
			if n == name {
				return fmt.Sprintf("unknown name %s; %s %s is written %s.%s", name, strings.TrimSuffix(x.prefix, "s"), name, x.prefix, name)
			}
		}
	}
	switch name {
	case "null", "NULL", "None", "none", "undefined", "nul":
		return fmt.Sprintf("unknown name %s; expressions write null as nil: compare with x == nil, or give a default with x ?? \"\"", name)
	case "True", "TRUE", "False", "FALSE":
		return fmt.Sprintf("unknown name %s; expressions write true and false in lower case: %s", name, strings.ToLower(name))
	}
	// YAML 1.1's booleans, which Ansible and older YAML read as true and
	// false: `when: yes`, quoted or not, is the name yes to expr.
	switch strings.ToLower(name) {
	case "yes", "on":
		return fmt.Sprintf("unknown name %s; YAML's yes and no are plain words in an expression: write true", name)
	case "no", "off":
		return fmt.Sprintf("unknown name %s; YAML's yes and no are plain words in an expression: write false", name)
	}
	switch name {
	case "succeeded", "failed", "skipped", "denied", "cancelled", "running",
		"validation", "authorization", "execution", "timeout", "declined", "system":
		return fmt.Sprintf("unknown name %s; a status or error class is text: quote it, as in steps.<id>.status == \"%s\"", name, name)
	}
	roots := []string{EnvInputs, EnvVars, EnvEnv, EnvRun, EnvSteps}
	if s&scopeItem != 0 {
		roots = append(roots, EnvItem, EnvIndex)
	}
	if s&scopeRetry != 0 {
		roots = append(roots, EnvOutput, EnvError, EnvAttempt)
	}
	sort.Strings(roots)
	return fmt.Sprintf("unknown name %s%s; an expression here can read %s", name, suggest.DidYouMean(name, roots), strings.Join(roots, ", "))
}

// danglingDot says what may follow the dot an expression ends with, like
// ${{ inputs. }}, and the byte offset just past the dot, where the name is
// missing; "" when src does not end so.
func (c *exprCompiler) danglingDot(src string) (string, int) {
	src = strings.TrimRight(src, " \t\r\n")
	m := danglingDotRE.FindStringSubmatch(src)
	if m == nil {
		return "", 0
	}
	root := m[1]
	var names []string
	switch root {
	case EnvSteps:
		names = slices.Clone(c.stepIDs)
	default:
		if t, ok := c.base[root].(types.Map); ok {
			names = keys(t)
		}
	}
	sort.Strings(names)
	const most = 12
	list := strings.Join(names, ", ")
	if len(names) > most {
		list = strings.Join(names[:most], ", ") + fmt.Sprintf(", … (%d in all)", len(names))
	}
	fix := fmt.Sprintf("a name must follow %s.", root)
	switch {
	case root == EnvInputs || root == EnvVars || root == EnvSteps:
		if len(names) == 0 {
			return fmt.Sprintf("%s: the playbook has no %s", fix, root), len(src)
		}
		return fmt.Sprintf("%s: the playbook's %s are %s", fix, root, list), len(src)
	case len(names) > 0:
		return fmt.Sprintf("%s: %s has %s", fix, root, list), len(src)
	}
	return fix + ": write the name of a field after it, or remove the dot", len(src)
}
