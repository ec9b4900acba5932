package exprsafe

import (
	"errors"
	"fmt"
	"reflect"
	"regexp"
	"strconv"
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
// and what it was given, and, for null, what advice says: why the value
// may be null, and what to do ("" when it knows nothing to say). Other
// errors of a value of the wrong type are said in the docs' words too
// (see plainProblem).
//
// A field read from null, "cannot fetch v from <nil>", names the value
// that is null as the expression writes it (steps.x.output), which advice
// is given too, and the ?. that reads the field all the same.
func Problem(program *vm.Program, err error, advice func(null string) string) string {
	name := ""
	var fe *file.Error
	located := errors.As(err, &fe) && program != nil
	if located {
		src := program.Source().String()
		if name = callAt(src, fe.From); name != "" {
			name += "()"
		} else {
			name = operatorAt(src, fe.From)
		}
	}
	var nl *nullListError
	if errors.As(err, &nl) {
		return nl.Error() + because(advice(""))
	}
	var ve *reflect.ValueError
	if !errors.As(err, &ve) || ve.Kind != reflect.Invalid && ve.Method != "reflect.Value.Len" && ve.Method != "reflect.Value.Index" {
		msg := err.Error()
		if located {
			// The message alone, without the snippet of the source.
			msg = strings.TrimSuffix(msg, fe.Snippet)
		}
		// A text int() or float() could not read may hold line breaks
		// (a command's stdout); operatorProblem quotes it whole.
		if i := strings.IndexByte(msg, '\n'); i >= 0 && !reParse.MatchString(rePosition.ReplaceAllString(msg, "")) {
			msg = msg[:i]
		}
		if m := nilFetchRE.FindStringSubmatch(msg); m != nil && located {
			what, read := "field "+m[1], "?."+m[1]
			switch {
			case indexRE.MatchString(m[1]):
				what, read = "item "+m[1], "?.["+m[1]+"]"
			case !identRE.MatchString(m[1]):
				read = "?." + strconv.Quote(m[1])
				read = "?.[" + read[2:] + "]"
			}
			src := program.Source().String()
			if chain := chainBefore(src, fe.From); chain != "" {
				return fmt.Sprintf("%s is null, so it has no %s%s; read it as %s%s, which is null when %s is null", chain, what, because(advice(chain)), chain, read, chain)
			}
			if predicateItem(src, fe.From) {
				return fmt.Sprintf("an item of the list is null, so it has no %s%s; read it as #%s, which is null when the item is null, or leave the null items out first, as in filter(LIST, # != nil)", what, because(advice("#")), read)
			}
		}
		// The position in the expression, " (1:5)", stays at the end.
		at := ""
		if m := rePosition.FindStringIndex(msg); m != nil {
			msg, at = msg[:m[0]], msg[m[0]:]
		}
		if located {
			if out, ok := readProblem(msg, program.Source().String(), fe.From); ok {
				return out + at
			}
		}
		if out, ok := operatorProblem(msg, strings.TrimSuffix(name, "()")); ok {
			return out + at
		}
		if out, ok := parseProblem(msg, strings.TrimSuffix(name, "()")); ok {
			return out + at
		}
		if m := reConversion.FindStringSubmatch(msg); m != nil && m[2] == "bool" && name == "" && located && ternaryBefore(program.Source().String(), fe.From) {
			// The run stopped at a c ? a : b whose c is not true or
			// false: say it as validate does.
			return ternaryNotBool(typeWord(m[1])) + at
		}
		return plainProblem(msg, name, advice("")) + at
	}
	what := "a function over a list"
	if name != "" {
		what = name
	}
	switch ve.Kind {
	case reflect.Invalid:
		if ve.Method != "reflect.Value.Len" && ve.Method != "reflect.Value.Index" {
			return given(what, "null", argWants[name], advice(""))
		}
		return fmt.Sprintf("%s was given null, not a list%s", what, because(advice("")))
	case reflect.Map, reflect.Struct:
		return fmt.Sprintf("%s was given a map, not a list; go over keys(m) or values(m)", what)
	}
	return fmt.Sprintf("%s was given a %s, not a list", what, kindName(ve.Kind))
}

func because(advice string) string {
	if advice == "" {
		return ""
	}
	return ": " + advice
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

// predicateItem reports whether the field read at rune offset from of
// src is read from the item a predicate goes over: `.f` or `#.f`, as in
// map(xs, .f), rather than from a value the expression names.
func predicateItem(src string, from int) bool {
	r := []rune(src)
	if from <= 0 || from > len(r) {
		return false
	}
	head := strings.TrimRight(strings.TrimSuffix(strings.TrimSuffix(string(r[:from]), "."), "?"), " \t")
	if strings.HasSuffix(head, "#") {
		return true
	}
	return head == "" || strings.ContainsAny(head[len(head)-1:], "(,!&|?:=<>+-*/[{")
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

// nilFetchRE matches expr's message for a field read from null.
var nilFetchRE = regexp.MustCompile(`^cannot fetch (\S+) from <nil>`)

// indexRE and identRE tell an index (steps.x.output[0]) and a name that
// can follow ?. (steps.x.output?.v) from a key that must be quoted
// (steps.x.output?.["my-key"]).
var (
	indexRE = regexp.MustCompile(`^-?[0-9]+$`)
	identRE = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)
)

// chainTailRE matches the member chain that ends a text, as in
// "1 + steps.x.output": steps.x.output.
var chainTailRE = regexp.MustCompile(`[A-Za-z_][A-Za-z0-9_]*(?:\??\.[A-Za-z_][A-Za-z0-9_-]*|\[[^\[\]]*\])*$`)

// chainBefore returns the member chain that ends just before rune offset
// from of src, where a field is read from it (steps.x.output in
// steps.x.output.v or steps.x.output["v"]), or "".
func chainBefore(src string, from int) string {
	r := []rune(src)
	if from <= 0 || from > len(r) {
		return ""
	}
	head := strings.TrimSuffix(strings.TrimSuffix(string(r[:from]), "."), "?")
	return chainTailRE.FindString(head)
}

// Where returns the byte offset in src, the source of the expression
// whose evaluation gave err, of the part that gave it, for a caller that
// names its place in a file rather than in the expression.
func Where(err error, src string) (int, bool) {
	var fe *file.Error
	if !errors.As(err, &fe) || fe.From < 0 {
		return 0, false
	}
	n := 0
	for i := range src {
		if n == fe.From {
			return i, true
		}
		n++
	}
	return 0, false
}

// TrimPosition drops the position in the expression, " (1:5)", that ends
// what Problem says, for a caller that names the place in the file.
func TrimPosition(msg string) string {
	return rePosition.ReplaceAllString(msg, "")
}

// ternaryBefore tells whether src has the ? of a c ? a : b before or at
// the rune offset from, where a run reports the c that is not true or
// false; a ?. or ?? and what is quoted do not count.
func ternaryBefore(src string, from int) bool {
	r := []rune(src)
	var quote rune
	for i := 0; i < len(r) && i <= from; i++ {
		switch c := r[i]; {
		case quote != 0 && c == '\\':
			i++
		case quote != 0:
			if c == quote {
				quote = 0
			}
		case c == '"' || c == '\'' || c == '`':
			quote = c
		case c == '?':
			if i+1 < len(r) && (r[i+1] == '.' || r[i+1] == '?') {
				i++
				continue
			}
			return true
		}
	}
	return false
}
