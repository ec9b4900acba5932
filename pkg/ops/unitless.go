package ops

import (
	"fmt"
	"strconv"
	"strings"
)

// unitless is the error of a duration given as a number alone, as 30 or
// "30": the words a playbook's own timeout: 30 gets, with what to write.
// nil for anything else.
func unitless(v any) error {
	n := ""
	if f, ok := toFloat(v); ok {
		n = strconv.FormatFloat(f, 'f', -1, 64)
	} else if s, ok := v.(string); ok {
		if _, err := strconv.ParseFloat(strings.TrimSpace(s), 64); err == nil && strings.ContainsAny(s, "0123456789") {
			n = strings.TrimSpace(s)
		}
	}
	if n == "" {
		return nil
	}
	return fmt.Errorf("%s has no unit; write it with one, like %ss or %sm", n, n, n)
}
