// Package jsonx holds the JSON conversions that playbook values share:
// numbers decoded as operations return them, and values written into
// text.
package jsonx

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
)

// Numbers replaces, in data decoded with json.Decoder.UseNumber, every
// json.Number by an int when it is whole and fits, else by a float64, as
// operations return numbers. Maps and lists are changed in place.
func Numbers(v any) any {
	switch x := v.(type) {
	case json.Number:
		if !strings.ContainsAny(string(x), ".eE") {
			if n, err := x.Int64(); err == nil {
				return int(n)
			}
		}
		f, _ := x.Float64()
		return f
	case map[string]any:
		for k, e := range x {
			x[k] = Numbers(e)
		}
	case []any:
		for i, e := range x {
			x[i] = Numbers(e)
		}
	}
	return v
}

// Text renders a value inside a template: strings as they are, whole
// numbers without a decimal point, null as "", lists and maps as JSON.
func Text(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	case bool:
		return strconv.FormatBool(x)
	case int:
		return strconv.Itoa(x)
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	}
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(b)
}
