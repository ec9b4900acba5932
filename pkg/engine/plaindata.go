package engine

// The conversion of what an expression returned (times, durations, the
// states of steps and items, other Go values by reflection) to the plain
// data a step receives, within a budget of items and a depth limit.

import (
	"encoding/json"
	"fmt"
	"reflect"
	"time"

	"github.com/arsenal-run/arsenal-run/pkg/ops"
	"github.com/arsenal-run/arsenal-run/pkg/steps"
)

// plainData converts what an expression returned to plain data: []any,
// map[string]any, string, int, float64, bool, nil. Times become RFC 3339
// strings and durations Go duration strings.
func plainData(v any, depth int) (any, error) {
	p := plainer{left: maxPlainItems}
	return p.data(v, depth)
}

// maxPlainItems bounds the items plainData writes out. An expression's
// lists may share parts (map(a, b) holds len(a) references to one b), which
// the memory budget counts once and plain data writes out each time: four
// levels of a list of 90 made 65 million items, seconds and gigabytes
// before the size of the value was checked.
const maxPlainItems = 4 * steps.MaxExprMemory

// plainer converts to plain data within a number of items.
type plainer struct{ left int }

func (p *plainer) data(v any, depth int) (any, error) {
	if depth > steps.MaxDepth {
		return nil, ops.Errorf(ops.ClassValidation, "value nested deeper than %d levels of lists and maps (see \"Limits\" in docs/playbooks.md); give a part nearer the top, as fromJSON(s).items, or keep it as text", steps.MaxDepth)
	}
	if p.left--; p.left < 0 {
		return nil, ops.Errorf(ops.ClassValidation, "value holds more than %d items once the lists it repeats are written out, far over the limit of %d bytes per value; pass a smaller part of it", maxPlainItems, steps.MaxValueSize)
	}
	switch x := v.(type) {
	case nil, string, bool, int, float64:
		return x, nil
	case []any:
		for i := range x {
			if !isScalar(x[i]) {
				out := make([]any, len(x))
				for j, it := range x {
					q, err := p.data(it, depth+1)
					if err != nil {
						return nil, err
					}
					out[j] = q
				}
				return out, nil
			}
		}
		return x, nil
	case map[string]any:
		for _, it := range x {
			if !isScalar(it) {
				out := make(map[string]any, len(x))
				for k, it := range x {
					q, err := p.data(it, depth+1)
					if err != nil {
						return nil, err
					}
					out[k] = q
				}
				return out, nil
			}
		}
		return x, nil
	case steps.ErrorState:
		return map[string]any{"class": x.Class, "message": x.Message}, nil
	case steps.ItemState:
		return p.itemData(x, depth)
	case *steps.StepState:
		if x == nil {
			return nil, nil
		}
		return p.stepData(x, depth)
	case time.Time:
		return x.Format(time.RFC3339Nano), nil
	case time.Duration:
		return x.String(), nil
	case *time.Location:
		// timezone("Europe/Paris"): its name, not the {} of its JSON.
		if x == nil {
			return nil, nil
		}
		return x.String(), nil
	case int64:
		return int(x), nil
	case float32:
		return float64(x), nil
	}
	rv := reflect.ValueOf(v)
	switch rv.Kind() {
	case reflect.Slice, reflect.Array:
		out := make([]any, rv.Len())
		for i := range out {
			q, err := p.data(rv.Index(i).Interface(), depth+1)
			if err != nil {
				return nil, err
			}
			out[i] = q
		}
		return out, nil
	case reflect.Map:
		out := make(map[string]any, rv.Len())
		it := rv.MapRange()
		for it.Next() {
			q, err := p.data(it.Value().Interface(), depth+1)
			if err != nil {
				return nil, err
			}
			out[fmt.Sprint(it.Key().Interface())] = q
		}
		return out, nil
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return int(rv.Int()), nil
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return int(rv.Uint()), nil
	case reflect.Float32, reflect.Float64:
		return rv.Float(), nil
	case reflect.Pointer:
		if rv.IsNil() {
			return nil, nil
		}
		return p.data(rv.Elem().Interface(), depth+1)
	case reflect.Struct:
		// Step states and the like: through JSON, which keeps only data.
		b, err := json.Marshal(v)
		if err != nil {
			return nil, err
		}
		var out any
		if err := json.Unmarshal(b, &out); err != nil {
			return nil, err
		}
		return out, nil
	}
	return fmt.Sprint(v), nil
}

// itemData and stepData turn the states expressions read into plain maps
// with the names users write.
func (p *plainer) itemData(x steps.ItemState, depth int) (any, error) {
	out, err := p.data(x.Output, depth+1)
	if err != nil {
		return nil, err
	}
	return map[string]any{
		"index": x.Index, "item": x.Item, "status": x.Status, "output": out,
		"error": map[string]any{"class": x.Error.Class, "message": x.Error.Message},
	}, nil
}

func (p *plainer) stepData(x *steps.StepState, depth int) (any, error) {
	out, err := p.data(x.Output, depth+1)
	if err != nil {
		return nil, err
	}
	m := map[string]any{
		"status": x.Status, "output": out, "attempts": x.Attempts, "duration": x.Duration, "reason": x.Reason,
		"error": map[string]any{"class": x.Error.Class, "message": x.Error.Message},
	}
	if x.Items != nil {
		items := make([]any, len(x.Items))
		for i, it := range x.Items {
			if items[i], err = p.itemData(it, depth+1); err != nil {
				return nil, err
			}
		}
		m["items"] = items
	} else {
		m["items"] = []any{}
	}
	return m, nil
}

func isScalar(v any) bool {
	switch v.(type) {
	case nil, string, bool, int, float64:
		return true
	}
	return false
}
