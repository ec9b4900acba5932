package exprsafe

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"time"

	"github.com/expr-lang/expr/builtin"
	"github.com/expr-lang/expr/conf"
	"github.com/expr-lang/expr/vm/runtime"
)

// EvalStrings is how many times the string limit one evaluation may build
// in all, strings and the lists of lists.go alike. expr's memory budget
// counts elements, not the bytes of the strings + and join build, and not
// the lists split or keys make, so without a total a let chain or a map
// over a range could build gigabytes one bounded value at a time.
const EvalStrings = 16

// Names of the bounded builders. The dot keeps them out of what an
// expression can write: a.b parses as a member, never as this identifier.
const (
	budgetVar = "exprsafe.strings"
	newBudget = "exprsafe.budget"
	concatFn  = "exprsafe.concat"
	itemsFn   = "exprsafe.items"
)

// budget is what one evaluation may still build, and the items its uniqs
// have compared pairwise; Check declares one per evaluation and passes it
// to every builder.
type budget struct {
	max, left, pairwise int
	// work is what the evaluation has done (work.go), at most maxWork;
	// it stops when ctx is done.
	work, maxWork int
	ctx           context.Context
	done          <-chan struct{}     // ctx's, read at every draw
	patterns      map[string]*pattern // compiled by match.go
}

// charge takes a string of size bytes from the budget, before it is
// allocated.
func (b *budget) charge(what string, size int) error {
	if size > b.max {
		return fmt.Errorf("%s would build a %d-byte string, over the limit of %d bytes per string; build large text in a step", what, size, b.max)
	}
	return b.take(what, size, "text")
}

// take takes size bytes from what the evaluation may still build in all.
// large says what to build in a step instead.
func (b *budget) take(what string, size int, large string) error {
	if size > b.left {
		return fmt.Errorf("%s would take the strings and lists this expression builds past %d bytes in all; build large %s in a step", what, EvalStrings*b.max, large)
	}
	b.left -= size
	return nil
}

// builder is the bounded version of a built-in and the type it gives.
type builder struct {
	build  func(args ...any) (any, error)
	result reflect.Type
}

// builders are the built-ins Check routes through a bounded version
// (installed as exprsafe.<name>), by the built-in's name. Each charges what
// it builds to the budget, before building it where the size is known.
var builders = map[string]builder{
	"join":       {buildJoin, stringType},
	"toJSON":     {buildJSON, stringType},
	"string":     {buildString, stringType},
	"upper":      {buildCase("upper", strings.ToUpper), stringType},
	"lower":      {buildCase("lower", strings.ToLower), stringType},
	"toBase64":   {buildBase64, stringType},
	"fromBase64": {buildFromBase64, stringType},
	"replace":    {buildReplace, stringType},
	"split":      {buildSplit("split", strings.SplitN), stringsType},
	"splitAfter": {buildSplit("splitAfter", strings.SplitAfterN), stringsType},
	"fromJSON":   {buildFromJSON, anyType},
	"uniq":       {buildUniq, listType},
}

var (
	stringType  = reflect.TypeOf("")
	stringsType = reflect.TypeOf([]string(nil))
	listType    = reflect.TypeOf([]any(nil))
	anyType     = reflect.TypeOf((*any)(nil)).Elem()
	budgetType  = reflect.TypeOf((*budget)(nil))
)

// addBuilders installs the budget and the bounded builders as functions.
// The user's call was type-checked against the built-in before Check
// routed it, so Validate only gives the result type.
func addBuilders(cfg *conf.Config, maxString, maxWork int) {
	cfg.Functions[newBudget] = &builtin.Function{
		Name: newBudget,
		Func: func(args ...any) (any, error) {
			b := &budget{max: maxString, left: EvalStrings * maxString, maxWork: maxWork}
			if len(args) == 1 {
				if ctx, ok := args[0].(context.Context); ok && ctx != nil {
					b.ctx, b.done = ctx, ctx.Done()
				}
			}
			return b, nil
		},
		Types: []reflect.Type{
			reflect.FuncOf(nil, []reflect.Type{budgetType}, false),
			reflect.FuncOf([]reflect.Type{anyType}, []reflect.Type{budgetType}, false),
		},
	}
	cfg.Functions[concatFn] = &builtin.Function{Name: concatFn, Func: buildConcat, Validate: concatType}
	cfg.Functions[itemsFn] = &builtin.Function{Name: itemsFn, Func: chargeItems, Validate: itemsType}
	for name, b := range builders {
		cfg.Functions[routed(name)] = &builtin.Function{
			Name:     routed(name),
			Func:     b.build,
			Validate: func([]reflect.Type) (reflect.Type, error) { return b.result, nil },
		}
	}
}

func routed(name string) string { return "exprsafe." + name }

// concatType mirrors expr's checker: string + string is a string; an
// operand known only at run time leaves the result unknown.
func concatType(args []reflect.Type) (reflect.Type, error) {
	if args[1].Kind() == reflect.String && args[2].Kind() == reflect.String {
		return stringType, nil
	}
	return anyType, nil
}

// buildConcat is a + b: bounded for strings, expr's own + for anything
// else (numbers, times; it fails as + does on a mismatch).
func buildConcat(args ...any) (any, error) {
	a, b := deref(args[1]), deref(args[2])
	x, ok1 := a.(string)
	y, ok2 := b.(string)
	if !ok1 || !ok2 {
		return runtime.Add(a, b), nil
	}
	if err := args[0].(*budget).charge("+", len(x)+len(y)); err != nil {
		return nil, err
	}
	return x + y, nil
}

// buildJoin is join(list) and join(list, glue).
func buildJoin(args ...any) (any, error) {
	list, err := joinList(args[1])
	if err != nil {
		return nil, err
	}
	glue := ""
	if len(args) == 3 {
		if glue, err = stringArg("join", args[2]); err != nil {
			return nil, err
		}
	}
	size := len(glue) * max(len(list)-1, 0)
	for _, s := range list {
		size += len(s)
	}
	if err := args[0].(*budget).charge("join", size); err != nil {
		return nil, err
	}
	return strings.Join(list, glue), nil
}

func joinList(v any) ([]string, error) {
	switch l := v.(type) {
	case []string:
		return l, nil
	case []any:
		out := make([]string, len(l))
		for i, x := range l {
			s, ok := x.(string)
			if !ok {
				return nil, fmt.Errorf("join takes a list of strings; item %d is %s", i, article(valueKind(reflect.ValueOf(x))))
			}
			out[i] = s
		}
		return out, nil
	}
	return nil, fmt.Errorf("invalid argument for join (type %T)", v)
}

// buildJSON is toJSON(v). The text's size is only known once encoded, so
// a lower bound is charged first (a list of many references to one large
// string is refused before it is encoded) and the exact size checked after.
func buildJSON(args ...any) (any, error) {
	b := args[0].(*budget)
	est := textSize(args[1], b.max)
	if err := b.charge("toJSON", est); err != nil {
		return nil, err
	}
	out, err := json.MarshalIndent(args[1], "", "  ")
	if err != nil {
		return nil, err
	}
	return string(out), b.settle("toJSON", len(out), est)
}

// buildString is string(v), bounded as toJSON is.
func buildString(args ...any) (any, error) {
	b := args[0].(*budget)
	est := textSize(args[1], b.max)
	if err := b.charge("string", est); err != nil {
		return nil, err
	}
	out := text(deref(args[1]))
	return out, b.settle("string", len(out), est)
}

// text is string(v): expr's own, but for what it writes in Go's words.
// As interpolation writes them: a time in RFC 3339 (Go's form adds the
// monotonic clock reading, "m=+0.031"), null as nothing (not "<nil>"),
// lists and maps as JSON (not "[1 a]" and "map[a:1]"); a time zone by its
// name.
func text(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case time.Time:
		return x.Format(time.RFC3339Nano)
	case time.Location:
		return x.String()
	}
	switch reflect.ValueOf(v).Kind() {
	case reflect.Slice, reflect.Array, reflect.Map:
		if out, err := json.Marshal(v); err == nil {
			return string(out)
		}
	}
	return builtin.String(v).(string)
}

// settle charges what a builder built beyond the estimate it charged.
func (b *budget) settle(what string, size, charged int) error {
	if size > b.max {
		return b.charge(what, size)
	}
	return b.charge(what, max(size-charged, 0))
}

// buildCase is upper or lower: linear, but a copy per call, which a map
// over a range repeats.
func buildCase(name string, f func(string) string) func(args ...any) (any, error) {
	return func(args ...any) (any, error) {
		s, err := stringArg(name, args[1])
		if err != nil {
			return nil, err
		}
		if err := args[0].(*budget).charge(name, len(s)); err != nil {
			return nil, err
		}
		return f(s), nil
	}
}

func buildBase64(args ...any) (any, error) {
	s, err := stringArg("toBase64", args[1])
	if err != nil {
		return nil, err
	}
	if err := args[0].(*budget).charge("toBase64", base64.StdEncoding.EncodedLen(len(s))); err != nil {
		return nil, err
	}
	return base64.StdEncoding.EncodeToString([]byte(s)), nil
}

// buildFromBase64 is fromBase64(s): a string of up to three quarters of s.
func buildFromBase64(args ...any) (any, error) {
	s, err := stringArg("fromBase64", args[1])
	if err != nil {
		return nil, err
	}
	if err := args[0].(*budget).charge("fromBase64", base64.StdEncoding.DecodedLen(len(s))); err != nil {
		return nil, err
	}
	out, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		return nil, err
	}
	return string(out), nil
}

// buildReplace is replace(s, old, new), sized before it is built.
func buildReplace(args ...any) (any, error) {
	s, ok1 := args[1].(string)
	old, ok2 := args[2].(string)
	repl, ok3 := args[3].(string)
	if !ok1 || !ok2 || !ok3 {
		return nil, fmt.Errorf("replace takes three strings")
	}
	if err := args[0].(*budget).charge("replace", replaceSize(s, old, repl)); err != nil {
		return nil, err
	}
	return strings.ReplaceAll(s, old, repl), nil
}

// stringArg is a built-in's string argument, known only at run time (the
// checker lets any through): anything else is an error, as expr's own
// built-in fails on it, never an empty string.
func stringArg(name string, v any) (string, error) {
	s, ok := deref(v).(string)
	if !ok {
		return "", fmt.Errorf("invalid argument for %s (type %T): want a string", name, v)
	}
	return s, nil
}

// deref follows pointers, as expr does to a built-in's arguments.
func deref(v any) any {
	r := reflect.ValueOf(v)
	for r.Kind() == reflect.Pointer && !r.IsNil() {
		r = r.Elem()
	}
	if !r.IsValid() || r.Kind() == reflect.Pointer {
		return v
	}
	return r.Interface()
}

// textSize is a lower bound of the length of v written as text: the bytes
// of its strings, one per other value. It stops once past limit, so sizing
// a million references to one large string costs no more than the limit.
func textSize(v any, limit int) int {
	n := 0
	var walk func(r reflect.Value, depth int)
	walk = func(r reflect.Value, depth int) {
		if n > limit || depth > 100 {
			return
		}
		switch r.Kind() {
		case reflect.Pointer, reflect.Interface:
			if r.IsNil() {
				n++
				return
			}
			walk(r.Elem(), depth+1)
		case reflect.String:
			n += r.Len()
		case reflect.Slice, reflect.Array:
			for i := 0; i < r.Len() && n <= limit; i++ {
				walk(r.Index(i), depth+1)
				n++
			}
		case reflect.Map:
			for it := r.MapRange(); it.Next() && n <= limit; {
				walk(it.Key(), depth+1)
				walk(it.Value(), depth+1)
				n++
			}
		case reflect.Struct:
			n++
			for i := range r.NumField() {
				if f := r.Type().Field(i); f.IsExported() && f.Tag.Get("json") != "-" {
					walk(r.Field(i), depth+1)
				}
			}
		default:
			n++
		}
	}
	walk(reflect.ValueOf(v), 0)
	return n
}
