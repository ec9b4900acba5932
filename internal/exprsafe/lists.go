package exprsafe

import (
	"encoding/json"
	"reflect"
	"strings"
	"unicode/utf8"

	"github.com/expr-lang/expr/vm/runtime"
)

// The lists and maps below draw on the same total as strings. expr's
// memory budget does not count them: its built-ins that make them report
// no size, and a map over a range counts one element per turn, however
// large the list each turn makes. Without the total, map(1..100000,
// split(s, "")) would keep a hundred thousand lists of len(s) strings.

// itemCosts are the built-ins whose list or map argument Check charges
// before they run, by the bytes each item of the argument makes them
// allocate (measured with expr v1.17.8, rounded up; the result and the
// copies made on the way); buildUniq charges uniq's itself. sort,
// reverse, concat, flatten, filter, sortBy and map are not here: expr
// counts what they make against its memory budget.
var itemCosts = map[string]int{
	"keys":      64,
	"values":    80,
	"toPairs":   96,
	"fromPairs": 144,
	"groupBy":   176,
	"uniq":      32,
}

// What fromJSON allocates, in bytes, measured as itemCosts are: each value
// (in its interface, with the decoder's work on it), and the table of each
// object on top.
const (
	jsonValueSize  = 64
	jsonObjectSize = 256
)

// splitItemSize is what split allocates for each part: the string header
// (a part shares the bytes of the string split).
const splitItemSize = 16

// chargeItems is exprsafe.items(budget, name, v): it charges v's items at
// the cost of built-in name, then gives v back for name to work on.
func chargeItems(args ...any) (any, error) {
	name := args[1].(string)
	n := 0
	switch r := reflect.ValueOf(deref(args[2])); r.Kind() {
	case reflect.Map, reflect.Slice, reflect.Array:
		n = r.Len()
	}
	if err := args[0].(*budget).take(name, n*itemCosts[name], "lists and maps"); err != nil {
		return nil, err
	}
	return args[2], nil
}

// itemsType gives v's type: the built-in is checked as if v were its
// argument, as it still is.
func itemsType(args []reflect.Type) (reflect.Type, error) { return args[2], nil }

// buildSplit is split or splitAfter, with an optional count, charged by
// its parts before they are made.
func buildSplit(name string, f func(s, sep string, n int) []string) func(args ...any) (any, error) {
	return func(args ...any) (any, error) {
		s, err := stringArg(name, args[1])
		if err != nil {
			return nil, err
		}
		sep, err := stringArg(name, args[2])
		if err != nil {
			return nil, err
		}
		n := -1
		if len(args) == 4 {
			n = runtime.ToInt(args[3])
		}
		if err := args[0].(*budget).take(name, splitParts(s, sep, n)*splitItemSize, "lists and maps"); err != nil {
			return nil, err
		}
		return f(s, sep, n), nil
	}
}

// splitParts is how many parts split(s, sep, n) makes, counted without
// making them.
func splitParts(s, sep string, n int) int {
	if n == 0 {
		return 0
	}
	parts := strings.Count(s, sep) + 1
	if sep == "" {
		parts = utf8.RuneCountInString(s) // a part per rune
	}
	if n > 0 {
		parts = min(parts, n)
	}
	return parts
}

// buildFromJSON is fromJSON(s). What a document decodes to is known only
// once decoded: the copy of the text the decoder reads is charged before,
// the values after. One call may thus allocate some tens of times the
// length of a string that already exists before it is refused, never more.
func buildFromJSON(args ...any) (any, error) {
	s, err := stringArg("fromJSON", args[1])
	if err != nil {
		return nil, err
	}
	b := args[0].(*budget)
	if err := b.take("fromJSON", len(s), "lists and maps"); err != nil {
		return nil, err
	}
	var v any
	if err := json.Unmarshal([]byte(s), &v); err != nil {
		if holdsSecret(b.ctx, s) {
			return nil, errSecretNotJSON
		}
		return nil, err
	}
	return v, b.take("fromJSON", jsonSize(v), "lists and maps")
}

// jsonSize is what a decoded document takes. encoding/json nests at most
// 10,000 deep, which bounds the recursion.
func jsonSize(v any) int {
	switch v := v.(type) {
	case string:
		return jsonValueSize + len(v)
	case []any:
		n := jsonValueSize
		for _, x := range v {
			n += jsonSize(x)
		}
		return n
	case map[string]any:
		n := jsonValueSize + jsonObjectSize
		for k, x := range v {
			n += len(k) + jsonSize(x)
		}
		return n
	}
	return jsonValueSize
}
