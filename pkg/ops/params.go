package ops

import (
	"fmt"
	"math"
	"sort"
	"strings"
	"time"

	"github.com/arsenal-run/arsenal-run/internal/suggest"
)

// Type is the type of a parameter value.
type Type string

// The parameter types. Values arrive as YAML or JSON data; Validate converts
// them to the Go type named in each comment.
const (
	TypeString   Type = "string"   // string
	TypeInteger  Type = "integer"  // int
	TypeNumber   Type = "number"   // float64
	TypeBool     Type = "bool"     // bool
	TypeList     Type = "list"     // []any
	TypeMap      Type = "map"      // map[string]any
	TypeDuration Type = "duration" // time.Duration, written "30s", "5m"
	TypeAny      Type = "any"      // unchanged
)

func (t Type) valid() bool {
	switch t {
	case TypeString, TypeInteger, TypeNumber, TypeBool, TypeList, TypeMap, TypeDuration, TypeAny:
		return true
	}
	return false
}

// Param describes one parameter of an operation.
type Param struct {
	Name        string
	Type        Type
	Required    bool
	Default     any
	Enum        []any
	Min, Max    *float64 // bounds on the value of numbers and durations (in seconds)
	MaxLen      int      // bound on the length of a string or list; 0 = none
	Items       Type     // element type of a list; "" = any
	Description string
	Secret      bool // the value is masked wherever the run writes it
	// NoInterpolation forbids ${{ }} in the value, for parameters such as a
	// shell script where an interpolated value would become code. Fix names
	// the safe way to pass data instead.
	NoInterpolation bool
	Fix             string
	// Target marks the parameter naming where the operation connects, and
	// how it is written: preflight judges a literal one against the
	// caller's network rules as the dial would.
	Target Target
	// ItemTargets marks, for a list of maps (cluster.health's nodes), the
	// keys of each item that name where the operation connects, and how
	// each is written: preflight judges each literal one as it judges a
	// Target.
	ItemTargets map[string]Target
	// Path marks a parameter naming a local file or directory (a string,
	// or each string of a list) that the operation finds only inside the
	// caller's file roots, or where Path says besides: preflight judges
	// a literal one against the roots as the operation would, so that a
	// step bound to be denied stops the run before anything runs.
	Path Path
	// Template marks a parameter whose text the operation reads as a
	// template of its own, with ${{ }} of its own (file.template's
	// content): what the playbook interpolates into it is escaped there,
	// so that a value stays data and is never evaluated a second time.
	Template bool
	// TypeHint is added to the error of a value of the wrong type: what
	// was probably meant instead, like another parameter.
	TypeHint string
	// EnumHints is advice for a value Enum refuses, by the value as
	// written: what to use instead (another operation, another form).
	EnumHints map[string]string
}

// Target is how a parameter names where an operation connects.
type Target uint8

const (
	TargetNone    Target = iota
	TargetURL            // a URL: its host
	TargetAddress        // host:port, or a bare host
	TargetHost           // a host name or address
	TargetLookup         // a name looked up, not connected to
)

// Path is where a parameter's local path must lie for the operation to
// touch it.
type Path uint8

const (
	PathNone         Path = iota
	PathInRoots           // inside the caller's file roots
	PathInRootsOrDir      // inside them or the playbook's directory (a template it reads)
)

// Bound returns a pointer to v, for Param.Min and Param.Max.
func Bound(v float64) *float64 { return &v }

// Deferred stands for a parameter whose value is an expression that will be
// known only at run time. Validate accepts it for any type.
var Deferred = deferred{}

type deferred struct{}

func (deferred) String() string { return "<expression>" }

// Params are an operation's parameters after validation.
type Params map[string]any

// Known reports whether the parameter is set to a value known now, rather than
// absent or Deferred.
func (p Params) Known(name string) bool {
	v, ok := p[name]
	return ok && v != Deferred
}

// String returns a string parameter, or "".
func (p Params) String(name string) string { s, _ := p[name].(string); return s }

// Int returns an integer parameter, or 0.
func (p Params) Int(name string) int { n, _ := p[name].(int); return n }

// Float returns a number parameter, or 0.
func (p Params) Float(name string) float64 { f, _ := p[name].(float64); return f }

// Bool returns a bool parameter, or false.
func (p Params) Bool(name string) bool { b, _ := p[name].(bool); return b }

// Duration returns a duration parameter, or 0.
func (p Params) Duration(name string) time.Duration { d, _ := p[name].(time.Duration); return d }

// List returns a list parameter, or nil.
func (p Params) List(name string) []any { l, _ := p[name].([]any); return l }

// Map returns a map parameter, or nil.
func (p Params) Map(name string) map[string]any { m, _ := p[name].(map[string]any); return m }

// Strings returns a list parameter whose items are strings, or nil.
func (p Params) Strings(name string) []string {
	l := p.List(name)
	if l == nil {
		return nil
	}
	out := make([]string, 0, len(l))
	for _, v := range l {
		s, _ := v.(string)
		out = append(out, s)
	}
	return out
}

// ParamError is a problem with one parameter.
type ParamError struct {
	Param string // the parameter's name; "" for a problem with the whole set
	Msg   string
}

func (e *ParamError) Error() string {
	if e.Param == "" {
		return e.Msg
	}
	return "param " + e.Param + ": " + e.Msg
}

// ParamErrors are all the problems found in one set of parameters.
type ParamErrors []*ParamError

func (es ParamErrors) Error() string {
	msgs := make([]string, len(es))
	for i, e := range es {
		msgs[i] = e.Error()
	}
	return strings.Join(msgs, "; ")
}

// ValidateParams checks raw against the spec and returns the parameters
// converted to their Go types with defaults filled in. It reports every
// problem, each naming its parameter, as ParamErrors. Values equal to Deferred
// are accepted and kept.
func ValidateParams(s *Spec, raw map[string]any) (Params, error) {
	out := make(Params, len(s.Params)+len(raw))
	var errs ParamErrors
	keys := make([]string, 0, len(raw))
	for k := range raw {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	// hints are the did-you-mean of the unknown params: a required param
	// one of them names is not also reported missing, one mistake twice.
	hints := map[string]bool{}
	for _, k := range keys {
		p := s.Param(k)
		if p == nil {
			if s.OpenParams {
				out[k] = raw[k]
				continue
			}
			hint := ""
			if m := s.meant(k); m != "" {
				hint = suggest.Hint(m)
			}
			hints[hint] = true
			errs = append(errs, &ParamError{k, "unknown parameter" + hint + "; " + s.paramList()})
			continue
		}
		v := raw[k]
		if v == Deferred {
			out[k] = v
			continue
		}
		if v == nil {
			if p.Required {
				errs = append(errs, &ParamError{k, "is required but null"})
			} else if p.Default != nil {
				out[k], _ = p.convert(p.Default)
			}
			continue
		}
		cv, err := p.convert(v)
		if err == nil {
			err = p.check(cv)
		}
		if err != nil {
			errs = append(errs, &ParamError{k, err.Error()})
			continue
		}
		out[k] = cv
	}
	for _, p := range s.Params {
		if _, ok := out[p.Name]; ok {
			continue
		}
		if _, given := raw[p.Name]; given {
			continue
		}
		if p.Required {
			if !hints[suggest.Hint(p.Name)] {
				errs = append(errs, &ParamError{p.Name, "is required (" + p.Description + ")"})
			}
			continue
		}
		if p.Default != nil {
			out[p.Name], _ = p.convert(p.Default)
		}
	}
	if len(errs) > 0 {
		return out, errs
	}
	return out, nil
}

// checkDefault checks that the default converts to the parameter's type
// and passes its enum and bounds.
func (p *Param) checkDefault() error {
	cv, err := convertTo(p.Type, p.Default)
	if err != nil {
		return fmt.Errorf("default: %s is not of the parameter's type %s (%w); give a default of type %s, or none", defaultText(p.Default), p.Type, err, p.Type)
	}
	if err := p.check(cv); err != nil {
		return fmt.Errorf("default: %w; give a default the parameter accepts, or none", err)
	}
	return nil
}

// defaultText shows a default in an error: a string quoted, so that
// "10" and 10 read apart.
func defaultText(v any) string {
	if s, ok := v.(string); ok {
		return fmt.Sprintf("%q", s)
	}
	return fmt.Sprint(v)
}

// convert turns a YAML or JSON value into the parameter's Go type.
func (p *Param) convert(v any) (any, error) {
	cv, err := convertTo(p.Type, v)
	if err == nil {
		return cv, nil
	}
	if s, ok := v.(string); ok {
		err = stringHint(p, s, err)
	}
	if p.TypeHint != "" {
		err = fmt.Errorf("%w; %s", err, p.TypeHint)
	} else if h := quoteHint(p.Type, v); h != "" {
		err = fmt.Errorf("%w; %s", err, h)
	}
	return nil, err
}

func convertTo(t Type, v any) (any, error) {
	switch t {
	case TypeString:
		if s, ok := v.(string); ok {
			return s, nil
		}
	case TypeBool:
		if b, ok := v.(bool); ok {
			return b, nil
		}
	case TypeInteger:
		if f, ok := toFloat(v); ok {
			if f != math.Trunc(f) || math.IsInf(f, 0) || math.IsNaN(f) || math.Abs(f) > 1<<53 {
				return nil, fmt.Errorf("want a whole number, got %v", v)
			}
			return int(f), nil
		}
	case TypeNumber:
		if f, ok := toFloat(v); ok {
			if math.IsInf(f, 0) || math.IsNaN(f) {
				return nil, fmt.Errorf("want a finite number, got %v", v)
			}
			return f, nil
		}
	case TypeList:
		if l, ok := v.([]any); ok {
			return l, nil
		}
	case TypeMap:
		if m, ok := v.(map[string]any); ok {
			return m, nil
		}
	case TypeDuration:
		if err := unitless(v); err != nil {
			return nil, err
		}
		if s, ok := v.(string); ok {
			d, err := ParseDuration(s)
			if err != nil {
				return nil, fmt.Errorf("want a duration like 30s, 5m or 7d, got %q", s)
			}
			return d, nil
		}
		if d, ok := v.(time.Duration); ok {
			return d, nil
		}
	case TypeAny, "":
		return v, nil
	}
	return nil, fmt.Errorf("want %s, got %s", t.article(), TypeName(v))
}

func (t Type) article() string {
	switch t {
	case TypeInteger:
		return "an integer"
	case TypeDuration:
		return "a duration like 30s"
	}
	return "a " + string(t)
}

func toFloat(v any) (float64, bool) {
	switch n := v.(type) {
	case int:
		return float64(n), true
	case int64:
		return float64(n), true
	case int32:
		return float64(n), true
	case uint64:
		return float64(n), true
	case float64:
		return n, true
	case float32:
		return float64(n), true
	}
	return 0, false
}

// TypeName names the type of a YAML or JSON value the way users write it.
func TypeName(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case string:
		return "string"
	case bool:
		return "bool"
	case int, int64, int32, uint64:
		return "integer"
	case float64, float32:
		return "number"
	case []any:
		return "list"
	case map[string]any:
		return "map"
	case time.Duration:
		return "duration"
	}
	return fmt.Sprintf("%T", v)
}
