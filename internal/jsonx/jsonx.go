// Package jsonx holds the JSON conversions that playbook values share:
// numbers decoded as operations return them, and values written into
// text.
package jsonx

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// ErrMoreThanOne is Decode's error for data that goes on after its value.
var ErrMoreThanOne = errors.New("it holds more than one value")

// Decode reads data holding exactly one JSON value, its numbers as
// json.Number: as written, for Numbers to make ints and floats of, or to
// send on unchanged (a whole number past 2^53 is not rounded).
func Decode(data []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	switch _, err := dec.Token(); {
	case err == io.EOF:
		return v, nil
	case err != nil:
		return nil, err
	}
	return nil, ErrMoreThanOne
}

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
