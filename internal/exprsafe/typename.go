package exprsafe

import (
	"reflect"
	"time"

	"github.com/expr-lang/expr"
	"github.com/expr-lang/expr/builtin"
	"github.com/expr-lang/expr/conf"
)

// expr's type() names a value of a named Go type by its Go path:
// type(steps.x) was "github.com/arsenal-run/arsenal-run/pkg/steps.StepState",
// type(now()) "time.Time". typeOf keeps expr's documented names (nil,
// bool, int, float, string, array, map) and names the rest as a playbook
// sees them.

var locationType = reflect.TypeOf(time.Location{})

// typeOf is type(v).
func typeOf(args ...any) (any, error) {
	v := args[0]
	if v == nil {
		return "nil", nil
	}
	t := reflect.TypeOf(v)
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t {
	case timeType:
		return "time", nil
	case durationType:
		return "duration", nil
	case locationType:
		return "timezone", nil
	}
	switch t.Kind() {
	case reflect.Bool:
		return "bool", nil
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "int", nil
	case reflect.Float32, reflect.Float64:
		return "float", nil
	case reflect.String:
		return "string", nil
	case reflect.Array, reflect.Slice:
		return "array", nil
	case reflect.Map, reflect.Struct:
		// A struct is read as a map: steps.x.status, run.id.
		return "map", nil
	case reflect.Func:
		return "func", nil
	}
	return "unknown", nil
}

func addType(cfg *conf.Config) {
	expr.DisableBuiltin("type")(cfg)
	delete(cfg.Builtins, "type")
	cfg.Functions["type"] = &builtin.Function{
		Name:  "type",
		Func:  typeOf,
		Types: []reflect.Type{reflect.TypeOf(new(func(any) string)).Elem()},
	}
}
