package report

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"reflect"
	"unicode/utf8"
)

// DecodeError says why data is no report this arsenal-run can read, and
// where: Line and Col (1-based; 0 when the problem has no one place) in
// File (empty when the data came from elsewhere than a file).
type DecodeError struct {
	File      string
	Line, Col int
	Msg       string
	// Foreign is a report of a version this one cannot read (of another
	// report_version, or holding a status it does not know): Msg says
	// which arsenal-run reads it, so another file is no answer.
	Foreign bool
}

func (e *DecodeError) Error() string {
	where := e.File
	if e.Line > 0 {
		where = fmt.Sprintf("%s:%d:%d", where, e.Line, e.Col)
		if e.File == "" {
			where = fmt.Sprintf("line %d, column %d", e.Line, e.Col)
		}
	}
	what := "not a report: "
	if e.Foreign {
		what = "a report this arsenal-run cannot read: "
	}
	if where == "" {
		return what + e.Msg
	}
	return where + ": " + what + e.Msg
}

// InFile names file in err, an error of Decode on the file's data: a
// DecodeError gets it as its File, so that it reads file:line:col; any
// other error is prefixed with it.
func InFile(file string, err error) error {
	var de *DecodeError
	if errors.As(err, &de) {
		named := *de
		named.File = file
		return &named
	}
	return fmt.Errorf("%s: %w", file, err)
}

// decodeProblem turns the JSON decoder's err on data into a DecodeError
// at the place it names, in words rather than Go's type names.
func decodeProblem(data []byte, err error) *DecodeError {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case len(bytes.TrimSpace(data)) == 0:
		return &DecodeError{Msg: "it is empty"}
	case errors.Is(err, io.ErrUnexpectedEOF):
		line, col := lineCol(data, len(data))
		return &DecodeError{Line: line, Col: col, Msg: "the file ends in the middle of its JSON: it was cut off " +
			"(by a copy or a write that stopped)"}
	case errors.As(err, &syn) && OtherKind(data) != "":
		// Not JSON at all, and recognizably another file of a run: its
		// kind says what went wrong, where the decoder's first bad
		// character would not.
		return &DecodeError{Msg: "it is " + OtherKind(data)}
	case errors.As(err, &syn):
		line, col := lineCol(data, int(syn.Offset)-1)
		return &DecodeError{Line: line, Col: col, Msg: syn.Error()}
	case errors.As(err, &typ):
		line, col := lineCol(data, valueStart(data, int(typ.Offset)))
		if typ.Field == "" {
			return &DecodeError{Line: line, Col: col, Msg: fmt.Sprintf("it holds a JSON %s, where a report is an object", jsonKind(typ.Value))}
		}
		return &DecodeError{Line: line, Col: col, Msg: fmt.Sprintf("%q holds %s, where a report has %s", typ.Field, article(jsonKind(typ.Value)), wantKind(typ.Type))}
	}
	return &DecodeError{Msg: err.Error()}
}

// valueStart is where the value the decoder refused begins: its offset
// for a type error lies just past the opening bracket of a list or an
// object, and past the end of any other value.
func valueStart(data []byte, off int) int {
	off = min(max(off, 0), len(data))
	if off == 0 {
		return 0
	}
	i := off - 1
	switch c := data[i]; {
	case c == '[' || c == '{':
		return i
	case c == '"':
		for i--; i >= 0; i-- {
			if data[i] == '"' && !escaped(data, i) {
				return i
			}
		}
		return 0
	}
	for i > 0 && !bytes.ContainsRune([]byte(":,[ \t\r\n"), rune(data[i-1])) {
		i--
	}
	return i
}

// escaped reports whether the byte at i follows an odd number of
// backslashes.
func escaped(data []byte, i int) bool {
	n := 0
	for j := i - 1; j >= 0 && data[j] == '\\'; j-- {
		n++
	}
	return n%2 == 1
}

// lineCol is the 1-based line and column (in characters) of byte off.
func lineCol(data []byte, off int) (int, int) {
	off = min(max(off, 0), len(data))
	line, start := 1, 0
	for i, c := range data[:off] {
		if c == '\n' {
			line, start = line+1, i+1
		}
	}
	return line, utf8.RuneCount(data[start:off]) + 1
}

// jsonKind names the kind of a JSON value as the decoder's Value does.
func jsonKind(v string) string {
	switch v {
	case "number", "string", "array", "object", "bool", "null":
		return v
	}
	return "number" // "number 1.5" and the like
}

func article(kind string) string {
	switch kind {
	case "array", "object":
		return "an " + kind
	case "bool":
		return "true or false"
	case "null":
		return kind
	}
	return "a " + kind
}

// wantKind names what a report holds in a field of Go type t.
func wantKind(t reflect.Type) string {
	if t == nil {
		return "another kind of value"
	}
	switch t.Kind() {
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "true or false"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.Slice, reflect.Array:
		return "a list"
	case reflect.Map, reflect.Struct, reflect.Pointer:
		return "an object"
	}
	return "another kind of value"
}
