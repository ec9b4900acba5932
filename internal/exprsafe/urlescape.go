package exprsafe

import (
	"fmt"
	"net/url"
	"reflect"

	"github.com/expr-lang/expr/builtin"
	"github.com/expr-lang/expr/conf"
)

// The functions that escape a value for a place in a URL, so that a value
// holding / ? # & or % stays one path segment or one query value instead
// of changing the path or adding parameters.
const (
	URLPathEscape  = "urlPathEscape"
	URLQueryEscape = "urlQueryEscape"
)

// urlEscapers are the escaping functions by name.
var urlEscapers = map[string]func(string) (string, error){
	URLPathEscape:  pathSegment,
	URLQueryEscape: func(s string) (string, error) { return url.QueryEscape(s), nil },
}

// pathSegment is s escaped as one segment of a URL path. An empty segment,
// "." and ".." cannot be written as data: the server reads them as the
// collection above, the same directory or the parent one, so they are
// refused rather than sent to another endpoint.
func pathSegment(s string) (string, error) {
	switch s {
	case "":
		return "", fmt.Errorf("%s() was given an empty string, which as a path segment would name the collection above it (/users/ instead of /users/NAME); skip the step when it is empty, with when: x != \"\"", URLPathEscape)
	case ".", "..":
		return "", fmt.Errorf("%s() was given %q, which no path segment can hold as data: the server reads it as a directory of the path, not a name", URLPathEscape, s)
	}
	return url.PathEscape(s), nil
}

// urlArg is the text of an escaping function's argument: a string, or a
// number or a bool written as interpolation writes it.
func urlArg(name string, v any) (string, error) {
	v = deref(v)
	r := reflect.ValueOf(v)
	switch r.Kind() {
	case reflect.String:
		return r.String(), nil
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64,
		reflect.Float32, reflect.Float64, reflect.Bool:
		return text(v), nil
	}
	return "", fmt.Errorf("%s() was given %s, not a string, a number or a bool", name, article(valueKind(r)))
}

// buildURLEscape is urlPathEscape(b, x) or urlQueryEscape(b, x), routed:
// the result, at most three times x (itself bounded), is charged to the
// budget.
func buildURLEscape(name string) func(args ...any) (any, error) {
	return func(args ...any) (any, error) {
		s, err := urlArg(name, args[1])
		if err != nil {
			return nil, err
		}
		out, err := urlEscapers[name](s)
		if err != nil {
			return nil, err
		}
		if err := args[0].(*budget).charge(name, len(out)); err != nil {
			return nil, err
		}
		return out, nil
	}
}

// urlEscapeType accepts a string, a number, a bool or a value known only
// at run time, and gives a string.
func urlEscapeType(name string) func([]reflect.Type) (reflect.Type, error) {
	return func(args []reflect.Type) (reflect.Type, error) {
		if len(args) != 1 {
			return nil, fmt.Errorf("%s() takes one value, the text to escape; %d given", name, len(args))
		}
		switch k := args[0].Kind(); k {
		case reflect.String, reflect.Interface,
			reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
			reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64,
			reflect.Float32, reflect.Float64, reflect.Bool:
			return stringType, nil
		case reflect.Slice, reflect.Array:
			return nil, fmt.Errorf("%s() was given a list, not a string, a number or a bool; escape each item, as in map(xs, %s(#))", name, name)
		case reflect.Map, reflect.Struct:
			return nil, fmt.Errorf("%s() was given a map, not a string, a number or a bool", name)
		default:
			return nil, fmt.Errorf("%s() was given %s, not a string, a number or a bool", name, article(kindName(k)))
		}
	}
}

// addURLEscape installs urlPathEscape and urlQueryEscape, and their
// routed versions. The unrouted one, for an expression Check has not
// routed, has a budget of its own.
func addURLEscape(cfg *conf.Config, maxString int) {
	for name := range urlEscapers {
		build := buildURLEscape(name)
		cfg.Functions[name] = &builtin.Function{
			Name: name,
			Func: func(args ...any) (any, error) {
				if len(args) != 1 {
					return nil, fmt.Errorf("%s() takes one value; %d given", name, len(args))
				}
				return build(&budget{max: maxString, left: maxString}, args[0])
			},
			Validate: urlEscapeType(name),
		}
		cfg.Functions[routed(name)] = &builtin.Function{
			Name:     routed(name),
			Func:     build,
			Validate: func([]reflect.Type) (reflect.Type, error) { return stringType, nil },
		}
	}
}
