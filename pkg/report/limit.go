package report

import (
	"fmt"
	"math"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Limits on what one report holds.
const (
	// MaxString is the longest string kept whole in a report; longer ones
	// keep their head and tail around a marker saying how much was cut.
	MaxString = 64 << 10
	// MaxDepth is how deep nested output data is kept.
	MaxDepth = 32
	// MaxItems is how many list items or map keys of one output are kept.
	MaxItems = 10_000
	// MaxAttemptMessage is the longest error message an attempt log
	// entry keeps whole: a step tried 100 times keeps 50 entries, and a
	// fan-out's items one log each, so 64 KiB messages made a report of
	// over 100 MB out of 40 such items. A shell step's message (its exit
	// code and the last lines of its stderr) fits; a longer one keeps its
	// head and tail. The step's (or item's) own error keeps the last
	// try's message up to MaxString.
	MaxAttemptMessage = 1 << 10
)

// Cap returns a copy of v that fits the report's limits, plain data only,
// with strings made valid UTF-8 and numbers that JSON cannot hold (see
// Finite) made strings. It never changes v.
func Cap(v any) any { return capValue(v, 0) }

// The strings that stand for the floating-point values JSON has no number
// for, such as the result of ${{ 1/0 }} or a YAML .inf.
const (
	PosInf = "+Inf"
	NegInf = "-Inf"
	NaN    = "NaN"
)

// Finite returns f, or PosInf, NegInf or NaN when f is not a finite number:
// encoding/json refuses those, and one such value would leave the run
// without a report.
func Finite(f float64) any {
	switch {
	case math.IsInf(f, 1):
		return PosInf
	case math.IsInf(f, -1):
		return NegInf
	case math.IsNaN(f):
		return NaN
	}
	return f
}

func capValue(v any, depth int) any {
	if depth > MaxDepth {
		return "[cut: nested deeper than " + fmt.Sprint(MaxDepth) + " levels]"
	}
	switch x := v.(type) {
	case nil, bool, int, int64:
		return x
	case float64:
		return Finite(x)
	case string:
		return CapString(x, MaxString)
	case []any:
		n := min(len(x), MaxItems)
		out := make([]any, 0, n+1)
		for _, it := range x[:n] {
			out = append(out, capValue(it, depth+1))
		}
		if len(x) > n {
			out = append(out, fmt.Sprintf("[cut: %d more items]", len(x)-n))
		}
		return out
	case map[string]any:
		out := make(map[string]any, min(len(x), MaxItems))
		i := 0
		for k, it := range x {
			if i == MaxItems {
				out["[cut]"] = fmt.Sprintf("%d more keys", len(x)-MaxItems)
				break
			}
			out[CapString(k, 256)] = capValue(it, depth+1)
			i++
		}
		return out
	}
	return capReflect(reflect.ValueOf(v), depth)
}

func capReflect(rv reflect.Value, depth int) any {
	switch rv.Kind() {
	case reflect.Slice, reflect.Array:
		if rv.Type().Elem().Kind() == reflect.Uint8 {
			return CapString(string(rv.Bytes()), MaxString)
		}
		l := make([]any, rv.Len())
		for i := range l {
			l[i] = rv.Index(i).Interface()
		}
		return capValue(l, depth)
	case reflect.Map:
		m := make(map[string]any, rv.Len())
		iter := rv.MapRange()
		for iter.Next() {
			m[fmt.Sprint(iter.Key().Interface())] = iter.Value().Interface()
		}
		return capValue(m, depth)
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return rv.Int()
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return rv.Uint()
	case reflect.Float32, reflect.Float64:
		return Finite(rv.Float())
	case reflect.Bool:
		return rv.Bool()
	case reflect.String:
		return CapString(rv.String(), MaxString)
	case reflect.Pointer, reflect.Interface:
		if rv.IsNil() {
			return nil
		}
		return capValue(rv.Elem().Interface(), depth)
	}
	return CapString(fmt.Sprint(rv.Interface()), MaxString)
}

// CapString returns s as valid UTF-8, and when longer than limit bytes, its
// head and tail around a marker.
func CapString(s string, limit int) string {
	if !utf8.ValidString(s) {
		s = strings.ToValidUTF8(s, "\uFFFD")
	}
	if len(s) <= limit {
		return s
	}
	// Cut on rune boundaries so both halves stay valid UTF-8.
	cut, start := limit/2, len(s)-limit/2
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	for start < len(s) && !utf8.RuneStart(s[start]) {
		start++
	}
	head, tail := s[:cut], s[start:]
	return head + fmt.Sprintf("\n…[cut %d bytes]…\n", len(s)-len(head)-len(tail)+cutBefore(s[cut:start])) + tail
}

// truncatedNote is the note an operation leaves where it kept the head
// and tail of a longer stream (a shell step's stdout past max_output,
// an HTTP body past max_bytes), less the newline before it (see
// cutBefore). It begins with a literal, which the search skips to: a
// pattern that could begin anywhere would be tried at every byte of each
// long output.
var truncatedNote = regexp.MustCompile(`\[\.\.\. (\d+) bytes truncated \.\.\.\]\n?`)

// cutBefore is how many bytes the notes of earlier cuts in middle say
// were dropped, less the notes themselves: a marker that replaces them
// counts those bytes too, so that it says how much of what the process
// printed is missing, not only how much of what was kept of it.
func cutBefore(middle string) int {
	n, end := 0, 0
	for _, m := range truncatedNote.FindAllStringSubmatchIndex(middle, -1) {
		start := m[0]
		// The newline before a note is the note's, unless the note
		// before it ended with it.
		if start > end && middle[start-1] == '\n' {
			start--
		}
		if k, err := strconv.Atoi(middle[m[2]:m[3]]); err == nil {
			n += k - (m[1] - start)
		}
		end = m[1]
	}
	return n
}
