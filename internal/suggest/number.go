package suggest

import (
	"fmt"
	"strconv"
	"strings"
)

// NumberFrom returns the call that turns the text the expression src
// gives into a number, int(…) when whole is set and float(…) otherwise,
// as in int(trim(x)). When v, the text src gave, is known it is read
// as int() and float() would read it: the call is the simplest that
// works for it, and ok is false when none does (v holds no number, or
// not a whole one where whole is set).
func NumberFrom(src string, whole bool, v any) (call string, ok bool) {
	conv := "float"
	if whole {
		conv = "int"
	}
	s, known := v.(string)
	if !known {
		return fmt.Sprintf("%s(trim(%s))", conv, src), true
	}
	t := strings.TrimSpace(s)
	f, err := strconv.ParseFloat(t, 64)
	if err != nil {
		return "", false
	}
	inner := src
	if t != s {
		inner = "trim(" + src + ")"
	}
	if !whole {
		return fmt.Sprintf("float(%s)", inner), true
	}
	if _, err := strconv.Atoi(t); err == nil {
		return fmt.Sprintf("int(%s)", inner), true
	}
	if f == float64(int64(f)) && f >= -1<<53 && f <= 1<<53 {
		return fmt.Sprintf("int(float(%s))", inner), true // "3.0"
	}
	return "", false
}
