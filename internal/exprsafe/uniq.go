package exprsafe

import (
	"fmt"
	"math"
	"reflect"
	"time"

	"github.com/expr-lang/expr/vm/runtime"
)

// uniqPairwise is the most items the uniqs of one evaluation compare
// pairwise, as expr does all of them: those that are no number, string,
// bool, time, duration or nil (maps, lists, structs). 4000 take at most 8
// million comparisons, some seconds for small maps; counted per list, a map
// over a range could repeat them.
const uniqPairwise = 4000

// maxExact is the largest integer from which float64 holds every integer
// down to zero exactly.
const maxExact = 1 << 53

// instantKey is a time as time.Time.Equal compares it.
type instantKey struct{ sec, nsec int64 }

// buildUniq is uniq(list): expr's result (first occurrences, in order, by
// runtime.Equal), in linear time where expr's built-in compares every item
// with every item kept. Its items are charged as chargeItems does. Scalars
// never equal the other items, so it dedupes them first, by key, and
// counts the others against uniqPairwise before comparing them pairwise.
func buildUniq(args ...any) (any, error) {
	if _, err := chargeItems(args[0], "uniq", args[1]); err != nil {
		return nil, err
	}
	v := reflect.ValueOf(deref(args[1]))
	if v.Kind() != reflect.Array && v.Kind() != reflect.Slice {
		return nil, fmt.Errorf("cannot uniq %s", v.Kind())
	}
	u := uniqSet{size: v.Len()}
	kept := make([]bool, v.Len())
	var rest []int
	others := 0
	for i := range kept {
		x := v.Index(i).Interface()
		var scalar bool
		if kept[i], scalar = u.keepScalar(x); !scalar {
			rest = append(rest, i)
			if x != nil {
				others++
			}
		}
	}
	b := args[0].(*budget)
	if b.pairwise += others; b.pairwise > uniqPairwise {
		return nil, fmt.Errorf("uniq would compare %d maps, lists and other items that are not numbers, strings or bools one with another in this expression, over the limit of %d; dedupe such lists in a step", b.pairwise, uniqPairwise)
	}
	for _, i := range rest {
		kept[i] = u.keepOther(v.Index(i).Interface())
	}
	n := 0
	for _, k := range kept {
		if k {
			n++
		}
	}
	out := make([]any, 0, n)
	for i, k := range kept {
		if k {
			out = append(out, v.Index(i).Interface())
		}
	}
	return out, nil
}

// uniqSet is what uniq has kept: scalars in sets, and the other items,
// which it compares with runtime.Equal as expr does. runtime.Equal
// compares an integer with an integer as int and with a float as float64,
// and float64 holds an integer exactly only up to 2^53: 2^53 and 2^53+1
// differ, but both equal the float 2^53. So ints says of each kept integer
// whether it is plain (at most 2^53, with a float64 value equal to its
// int), which a float finds in ints; the float64 value of the others goes
// in images.
type uniqSet struct {
	ints    map[int]bool
	floats  map[float64]struct{}
	images  map[float64]struct{}
	strings map[string]struct{}
	times   map[instantKey]struct{}
	durs    map[time.Duration]struct{}
	bools   map[bool]struct{}
	others  []any
	// size is the length of the list, which each set is made for: most
	// lists hold one kind of scalar, and a set that grows takes about
	// twice the memory.
	size int
	// nilKept is whether a kept item is nil, typed or not, which nil
	// equals; untypedNil whether nil itself is kept, which a typed nil
	// (a nil map or list) equals.
	nilKept, untypedNil bool
}

// keepScalar is whether x, a scalar, equals no scalar kept so far, keeping
// it if so, and whether x is a scalar at all: nil is not, as it equals
// typed nils.
func (u *uniqSet) keepScalar(x any) (kept, scalar bool) {
	switch v := x.(type) {
	case int:
		return u.keepInt(v, float64(v)), true
	case int8:
		return u.keepInt(int(v), float64(v)), true
	case int16:
		return u.keepInt(int(v), float64(v)), true
	case int32:
		return u.keepInt(int(v), float64(v)), true
	case int64:
		return u.keepInt(int(v), float64(v)), true
	case uint:
		return u.keepInt(int(v), float64(v)), true
	case uint8:
		return u.keepInt(int(v), float64(v)), true
	case uint16:
		return u.keepInt(int(v), float64(v)), true
	case uint32:
		return u.keepInt(int(v), float64(v)), true
	case uint64:
		return u.keepInt(int(v), float64(v)), true
	case float32:
		return u.keepFloat(float64(v)), true
	case float64:
		return u.keepFloat(v), true
	case string:
		return add(&u.strings, v, u.size), true
	case bool:
		return add(&u.bools, v, 2), true
	case time.Duration:
		return add(&u.durs, v, u.size), true
	case time.Time:
		return add(&u.times, instantKey{v.Unix(), int64(v.Nanosecond())}, u.size), true
	}
	return false, false
}

// keepInt keeps an integer of int value i and float64 value f.
func (u *uniqSet) keepInt(i int, f float64) bool {
	if _, ok := u.ints[i]; ok {
		return false
	}
	if _, ok := u.floats[f]; ok {
		return false
	}
	plain := -maxExact <= i && i <= maxExact && float64(i) == f
	if u.ints == nil {
		u.ints = make(map[int]bool, u.size)
	}
	u.ints[i] = plain
	if !plain {
		add(&u.images, f, 0) // rare
	}
	return true
}

// keepFloat keeps a float equal to no kept float or integer, and every
// NaN, which equals nothing, as a map key does.
func (u *uniqSet) keepFloat(f float64) bool {
	if _, ok := u.images[f]; ok {
		return false
	}
	if math.Abs(f) <= maxExact && f == math.Trunc(f) && u.ints[int(f)] {
		return false
	}
	return add(&u.floats, f, u.size)
}

// add adds k to *set, made for size keys if need be, and is whether k was
// not in it.
func add[K comparable](set *map[K]struct{}, k K, size int) bool {
	if _, ok := (*set)[k]; ok {
		return false
	}
	if *set == nil {
		*set = make(map[K]struct{}, size)
	}
	(*set)[k] = struct{}{}
	return true
}

// keepOther is whether x, nil or no scalar, equals no such item kept so
// far, keeping it if so.
func (u *uniqSet) keepOther(x any) bool {
	if x == nil {
		if u.nilKept {
			return false
		}
		u.nilKept, u.untypedNil = true, true
		return true
	}
	isNil := runtime.IsNil(x)
	if isNil && u.untypedNil {
		return false
	}
	for _, r := range u.others {
		if runtime.Equal(x, r) {
			return false
		}
	}
	u.others = append(u.others, x)
	u.nilKept = u.nilKept || isNil
	return true
}
