package steps

import (
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// InputType is the declared type of a playbook input.
type InputType string

// The input types and the Go type each value has at run time.
const (
	InputString   InputType = "string"   // string
	InputNumber   InputType = "number"   // float64
	InputInteger  InputType = "integer"  // int
	InputBool     InputType = "bool"     // bool
	InputList     InputType = "list"     // []any
	InputMap      InputType = "map"      // map[string]any
	InputDuration InputType = "duration" // string in Go duration syntax, checked
)

var inputTypes = []string{"string", "number", "integer", "bool", "list", "map", "duration"}

// Coerce converts a value given as data (from YAML, JSON or a default) to
// the input's type, and checks its enum.
func (in *Input) Coerce(v any) (any, error) {
	out, err := coerce(in.Type, v)
	if err != nil {
		return nil, err
	}
	if len(in.Enum) > 0 {
		for _, e := range in.Enum {
			if fmt.Sprint(e) == fmt.Sprint(out) {
				return out, nil
			}
		}
		return nil, fmt.Errorf("%v is not one of %v", out, in.Enum)
	}
	return out, nil
}

func coerce(t InputType, v any) (any, error) {
	switch t {
	case InputString:
		if s, ok := v.(string); ok {
			return s, nil
		}
	case InputDuration:
		if s, ok := v.(string); ok {
			d, err := time.ParseDuration(s)
			if err != nil || d < 0 {
				return nil, fmt.Errorf("want a duration like 30s or 5m, got %q", s)
			}
			return s, nil
		}
	case InputBool:
		if b, ok := v.(bool); ok {
			return b, nil
		}
	case InputNumber, InputInteger:
		var f float64
		switch n := v.(type) {
		case int:
			f = float64(n)
		case int64:
			f = float64(n)
		case float64:
			f = n
		case json.Number:
			x, err := n.Float64()
			if err != nil {
				return nil, fmt.Errorf("want a number, got %s", n)
			}
			f = x
		default:
			return nil, fmt.Errorf("want %s, got %s", article(t), typeName(v))
		}
		if math.IsInf(f, 0) || math.IsNaN(f) {
			return nil, fmt.Errorf("want a finite number, got %v", v)
		}
		if t == InputNumber {
			return f, nil
		}
		if f != math.Trunc(f) || math.Abs(f) > 1<<53 {
			return nil, fmt.Errorf("want a whole number, got %v", v)
		}
		return int(f), nil
	case InputList:
		if l, ok := v.([]any); ok {
			return l, nil
		}
	case InputMap:
		if m, ok := v.(map[string]any); ok {
			return m, nil
		}
	}
	return nil, fmt.Errorf("want %s, got %s", article(t), typeName(v))
}

// Parse converts a value given as text (--input k=v, an environment
// variable) to the input's type: lists and maps as JSON, numbers and bools
// as written.
func (in *Input) Parse(s string) (any, error) {
	var v any
	switch in.Type {
	case InputString, InputDuration:
		v = s
	case InputBool:
		b, err := strconv.ParseBool(strings.TrimSpace(s))
		if err != nil {
			return nil, fmt.Errorf("want true or false, got %q", s)
		}
		v = b
	case InputNumber, InputInteger:
		f, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
		if err != nil {
			return nil, fmt.Errorf("want %s, got %q", article(in.Type), s)
		}
		v = f
	case InputList, InputMap:
		if err := json.Unmarshal([]byte(s), &v); err != nil {
			return nil, fmt.Errorf("want %s written as JSON, e.g. %s: %v", article(in.Type), example(in.Type), err)
		}
		v = normaliseJSON(v)
	}
	return in.Coerce(v)
}

func example(t InputType) string {
	if t == InputList {
		return `["a","b"]`
	}
	return `{"k":"v"}`
}

// normaliseJSON turns whole float64 numbers from JSON into int, so that data
// from JSON and from YAML look the same to expressions.
func normaliseJSON(v any) any {
	switch x := v.(type) {
	case float64:
		if x == math.Trunc(x) && math.Abs(x) <= 1<<53 {
			return int(x)
		}
	case []any:
		for i := range x {
			x[i] = normaliseJSON(x[i])
		}
	case map[string]any:
		for k := range x {
			x[k] = normaliseJSON(x[k])
		}
	}
	return v
}

func article(t InputType) string {
	switch t {
	case InputInteger:
		return "an integer"
	case InputDuration:
		return "a duration like 30s"
	}
	return "a " + string(t)
}

func typeName(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case string:
		return "a string"
	case bool:
		return "a bool"
	case int, int64:
		return "an integer"
	case float64:
		return "a number"
	case []any:
		return "a list"
	case map[string]any:
		return "a map"
	}
	return fmt.Sprintf("%T", v)
}
