package steps

import (
	"encoding/json"
	"strings"

	"github.com/arsenal-run/arsenal-run/internal/suggest"
)

// enumHint suggests the enum value a person most likely meant by v: one
// a typo away, the only one v begins (prod for production) or the only
// one that begins v (production for prod); "" when
// none stands out.
func enumHint(v any, enum []any) string {
	s, ok := v.(string)
	if !ok || s == "" {
		return ""
	}
	var names []string
	for _, e := range enum {
		if n, ok := e.(string); ok {
			names = append(names, n)
		}
	}
	if c, ok := suggest.Closest(s, names); ok {
		return suggest.Hint(c)
	}
	// A start of a value (prod for production), or the value said in
	// full where it is short (production for prod).
	var starts []string
	for _, n := range names {
		long, short := strings.ToLower(n), strings.ToLower(s)
		if len(n) < len(s) {
			long, short = short, long
		}
		if len(n) != len(s) && strings.HasPrefix(long, short) {
			starts = append(starts, n)
		}
	}
	if len(starts) == 1 {
		return suggest.Hint(starts[0])
	}
	return ""
}

// listHint shows a list input given as words (a,b or a b, as a shell
// user writes one) as the JSON to give instead; "" for text that looks
// like JSON already.
func listHint(s string) string {
	t := strings.TrimSpace(s)
	if t == "" || strings.HasPrefix(t, "[") || strings.HasPrefix(t, "{") {
		return ""
	}
	words := strings.FieldsFunc(t, func(r rune) bool { return r == ',' || r == ' ' })
	b, err := json.Marshal(words)
	if err != nil || len(words) == 0 {
		return ""
	}
	return ": for " + t + " give " + string(b) + " (in a shell, inside single quotes)"
}
