package steps

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/arsenal-run/arsenal-run/internal/yamlx"
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
// the input's type, and checks its constraint (enum, min, max, pattern).
func (in *Input) Coerce(v any) (any, error) {
	out, err := coerce(in.Type, v)
	if err != nil {
		if v == nil {
			// null does not stand for "not given", as some tools have it.
			return nil, fmt.Errorf("%w%s", err, nullInputHint(in))
		}
		return nil, err
	}
	if err := in.Constraint.Check(out); err != nil {
		return nil, fmt.Errorf("%w%s", err, patternHint(in, out))
	}
	return out, nil
}

// nullInputHint is what to do about an input given null: leave it out,
// unless it is required.
func nullInputHint(in *Input) string {
	switch {
	case in.Required:
		return "; the input is required: give it a value"
	case in.Default != nil:
		return "; null does not mean \"not given\" here: leave the input out to take its default"
	}
	return "; null does not mean \"not given\" here: leave the input out to take its type's zero value"
}

// ZeroValue is the value of an optional input of type t that was not given
// and has no default, so that expressions reading it see a value of the
// declared type.
func ZeroValue(t InputType) any {
	switch t {
	case InputNumber:
		return 0.0
	case InputInteger:
		return 0
	case InputBool:
		return false
	case InputList:
		return []any{}
	case InputMap:
		return map[string]any{}
	}
	return ""
}

// UnsetValue is the value the input has when nobody gives one: its
// default, or else its type's zero value.
func (in *Input) UnsetValue() any {
	if in.Default != nil {
		return in.Default
	}
	return ZeroValue(in.Type)
}

// SameData reports whether two values are the same data: equal JSON
// encodings, so 5 equals 5.0, maps compare by key and a list never equals
// a string that prints the same.
func SameData(a, b any) bool {
	x, errA := json.Marshal(a)
	y, errB := json.Marshal(b)
	if errA != nil || errB != nil {
		return false
	}
	return bytes.Equal(x, y)
}

func slicesContainsData(list []any, v any) bool {
	for _, e := range list {
		if SameData(e, v) {
			return true
		}
	}
	return false
}

func number(v any) (float64, bool) {
	switch n := v.(type) {
	case int:
		return float64(n), true
	case int64:
		return float64(n), true
	case float64:
		return n, true
	}
	return 0, false
}

// showValue writes a value as JSON, the way a caller writes it with
// --input.
func showValue(v any) string {
	if s, ok := v.(string); ok {
		return s
	}
	if b, err := json.Marshal(v); err == nil {
		return string(b)
	}
	return fmt.Sprint(v)
}

// showList shows an enum's values for a message, as `low, high`: a string
// as it is, quoted where it would not read as one value (empty, with a
// comma, or with spaces at an end), another value as JSON.
func showList(list []any) string {
	parts := make([]string, len(list))
	for i, v := range list {
		s, ok := v.(string)
		if ok && (s == "" || strings.Contains(s, ",") || strings.TrimSpace(s) != s) {
			parts[i] = strconv.Quote(s)
			continue
		}
		parts[i] = showValue(v)
	}
	return strings.Join(parts, ", ")
}

// isNumber reports whether s is a number written alone, as 30 or 1.5.
func isNumber(s string) bool {
	_, err := strconv.ParseFloat(s, 64)
	return err == nil && strings.ContainsAny(s, "0123456789") // not inf nor nan
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
				if n := strings.TrimSpace(s); n != "" && isNumber(n) {
					return nil, &UnitlessDurationError{Number: n}
				}
				if h := InHours(s); h != "" {
					return nil, fmt.Errorf("want a duration like 30s or 5m, got %q: days and weeks are no unit of a duration input; write %s", s, h)
				}
				return nil, fmt.Errorf("want a duration like 30s or 5m, got %q", s)
			}
			return s, nil
		}
		if f, ok := number(v); ok {
			// The words a playbook's own durations use (see duration).
			return nil, &UnitlessDurationError{Number: strconv.FormatFloat(f, 'f', -1, 64)}
		}
	case InputBool:
		if b, ok := v.(bool); ok {
			return b, nil
		}
	case InputNumber, InputInteger:
		if t == InputInteger {
			if n, ok := exactInt(v); ok {
				// Whole numbers as given, not through a float64, which
				// would round one past 2^53 without a word.
				if n > maxExactInt || n < -maxExactInt {
					return nil, tooLarge(strconv.FormatInt(n, 10))
				}
				return int(n), nil
			}
		}
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
			return nil, fmt.Errorf("want %s, got %s%s", article(t), typeName(v), inputTypeHint(t, v))
		}
		if math.IsInf(f, 0) || math.IsNaN(f) {
			return nil, fmt.Errorf("want a finite number, got %v", v)
		}
		if t == InputNumber {
			return f, nil
		}
		if f != math.Trunc(f) {
			return nil, fmt.Errorf("want a whole number, got %v", v)
		}
		if math.Abs(f) > maxExactInt {
			return nil, tooLarge(strconv.FormatFloat(f, 'f', 0, 64))
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
	return nil, fmt.Errorf("want %s, got %s%s", article(t), typeName(v), inputTypeHint(t, v))
}

// inputTypeHint is the advice for a value v of the wrong type for an input of
// type t: quotedHint's for a string whose text fits, else the form a
// value of type t takes, written as YAML and JSON both write it (the
// value is not repeated: it may be a secret's).
func inputTypeHint(t InputType, v any) string {
	if h := quotedHint(t, v); h != "" || v == nil {
		return h // null has advice of its own (Coerce)
	}
	switch t {
	case InputString:
		if _, ok := number(v); ok {
			return "; quote it to give it as text"
		}
		if _, ok := v.(bool); ok {
			return "; quote it to give it as text"
		}
		return `; give text, like "value"`
	case InputInteger:
		return "; give a whole number, like 3"
	case InputNumber:
		return "; give a number, like 2.5"
	case InputBool:
		return "; give true or false"
	case InputList:
		return `; give a list, like ["a", "b"]`
	case InputMap:
		return `; give a map, like {"name": "value"}`
	}
	return ""
}

// quotedHint is the advice for a string given where a bool or a number is
// wanted and whose text is one: the quotes, or a word YAML 1.1 took for a
// bool, made it a string. The text itself is not repeated: it may be a
// secret's.
func quotedHint(t InputType, v any) string {
	s, ok := v.(string)
	if !ok {
		return ""
	}
	switch t {
	case InputBool:
		if _, err := strconv.ParseBool(s); err == nil {
			return "; write it unquoted, true or false"
		}
		switch strings.ToLower(s) {
		case "yes", "no", "on", "off", "y", "n":
			return "; only true and false are bools here, as in YAML 1.2 (yes, no, on and off are strings): write true or false"
		}
	case InputNumber, InputInteger:
		if _, err := strconv.ParseFloat(strings.TrimSpace(s), 64); err == nil {
			return "; write the number unquoted"
		}
	}
	return ""
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
			return nil, fmt.Errorf("want true or false, got %q%s", s, boolMeant(s))
		}
		v = b
	case InputNumber, InputInteger:
		if n, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64); err == nil && in.Type == InputInteger {
			if n > maxExactInt || n < -maxExactInt {
				return nil, tooLarge(strconv.Quote(s))
			}
			v = n
			break
		}
		f, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
		if err != nil {
			return nil, &NumberTextError{Type: in.Type, Text: s}
		}
		if in.Type == InputInteger && f == math.Trunc(f) && math.Abs(f) > maxExactInt {
			// Quoted as typed: the float64 it parsed to is rounded
			// (99999999999999999999 is 1e20), a number never given.
			return nil, tooLarge(strconv.Quote(s))
		}
		v = f
	case InputList, InputMap:
		if err := json.Unmarshal([]byte(s), &v); err != nil {
			if in.Type == InputList {
				if h := listHint(s); h != "" {
					return nil, fmt.Errorf("want %s written as JSON%s", article(in.Type), h)
				}
			}
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

// inputConstraint decodes an input's enum, min, max and pattern, once its
// type is known: enum values are converted to the type, bounds apply to
// numbers and a pattern to strings.
func (l *loader) inputConstraint(in *Input, nodes map[string]*yaml.Node) {
	var enumPos []yamlx.Pos
	if v := nodes["enum"]; v != nil {
		list, ok := yamlx.Plain(v, l.d).([]any)
		if !ok || len(list) == 0 {
			l.d.Add(yamlx.PosOf(v), "enum must be a non-empty list of allowed values")
		}
		for i, e := range list {
			x, err := coerce(in.Type, e)
			if err != nil {
				l.d.Add(yamlx.PosOf(yamlx.Deref(yamlx.Deref(v).Content[i])), "enum value of input %s: %v", in.Name, err)
				continue
			}
			in.Enum = append(in.Enum, x)
			enumPos = append(enumPos, yamlx.PosOf(yamlx.Deref(yamlx.Deref(v).Content[i])))
		}
	}
	for _, key := range []string{"min", "max"} {
		v := nodes[key]
		if v == nil {
			continue
		}
		if in.Type != InputNumber && in.Type != InputInteger {
			l.d.Add(yamlx.PosOf(v), "%s applies to number and integer inputs; input %s is a %s: use enum or pattern", key, in.Name, in.Type)
			continue
		}
		if f, ok := yamlx.Number(v, key, -math.MaxFloat64, math.MaxFloat64, l.d); ok {
			if key == "min" {
				in.Min = &f
			} else {
				in.Max = &f
			}
		}
	}
	if in.Min != nil && in.Max != nil && *in.Min > *in.Max {
		l.d.Add(yamlx.PosOf(nodes["min"]), "input %s: min %v is above max %v", in.Name, *in.Min, *in.Max)
	}
	if v := nodes["pattern"]; v != nil {
		switch s, ok := yamlx.Str(v, "pattern", l.d); {
		case !ok:
		case in.Type != InputString && in.Type != InputDuration:
			l.d.Add(yamlx.PosOf(v), "pattern applies to string and duration inputs; input %s is a %s: use enum, min or max", in.Name, in.Type)
		default:
			if err := in.SetPattern(s); err != nil {
				l.d.Add(yamlx.PosOf(v), "%v", err)
			} else if !PatternMatchesAny(s, true) {
				l.d.Add(yamlx.PosOf(v), "input %s: pattern %s matches no value, so the input could never be given%s; write a pattern the values meant match", in.Name, quotePattern(s), AnchorHint(s))
			}
		}
	}
	l.enumHolds(in, enumPos)
}

// enumHolds reports each enum value that the input's own min, max or
// pattern refuses: every part of the rule must hold, so that value could
// never be given, though help and the console offer it.
func (l *loader) enumHolds(in *Input, pos []yamlx.Pos) {
	rest := in.Constraint
	rest.Enum = nil
	switch {
	case rest.Min == nil && rest.Max == nil && rest.re == nil:
		return
	case rest.Min != nil && rest.Max != nil && *rest.Min > *rest.Max,
		rest.re != nil && !PatternMatchesAny(rest.Pattern, true):
		return // reported already: no value holds, listed or not
	}
	for i, v := range in.Enum {
		if err := rest.Check(v); err != nil {
			l.d.Add(pos[i], "enum value %s of input %s can never be given: %v, and every part of the rule must hold; remove it from enum, or change min, max or pattern", showValue(v), in.Name, err)
		}
	}
}

// maxExactInt is 2^53-1, the largest whole number that a float64 holds
// with its neighbours told apart (JavaScript's MAX_SAFE_INTEGER): reports
// and JSON readers take numbers as float64, and a number past it read as
// a float64 may already have been rounded.
const maxExactInt = 1<<53 - 1

// exactInt is v as a whole number when it is one without a float64 in
// between: an int, an int64 or a JSON number written without a fraction.
func exactInt(v any) (int64, bool) {
	switch n := v.(type) {
	case int:
		return int64(n), true
	case int64:
		return n, true
	case json.Number:
		i, err := n.Int64()
		return i, err == nil
	}
	return 0, false
}

// tooLarge is the problem of a whole number past maxExactInt, written n.
func tooLarge(n string) error {
	return fmt.Errorf("want a whole number from -%d to %d (kept exactly in reports), got %s; give an id this long as a string input", int64(maxExactInt), int64(maxExactInt), n)
}
