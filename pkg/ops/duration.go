package ops

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// ParseDuration reads a duration as Go writes it (90s, 1h30m) or with days
// and weeks as well (7d, 2w, 1d12h), as people write retention periods. A
// day is 24 hours.
func ParseDuration(s string) (time.Duration, error) {
	if !strings.ContainsAny(s, "dw") {
		return time.ParseDuration(s)
	}
	rest, neg := s, false
	if strings.HasPrefix(rest, "-") {
		rest, neg = rest[1:], true
	}
	var total time.Duration
	for rest != "" {
		i := 0
		for i < len(rest) && (rest[i] >= '0' && rest[i] <= '9' || rest[i] == '.') {
			i++
		}
		if i == 0 || i == len(rest) {
			break
		}
		unit := rest[i]
		if unit != 'd' && unit != 'w' {
			break
		}
		n, err := strconv.ParseFloat(rest[:i], 64)
		if err != nil {
			return 0, fmt.Errorf("time: invalid duration %q", s)
		}
		per := 24 * time.Hour
		if unit == 'w' {
			per *= 7
		}
		if n > float64(1<<62)/float64(per) {
			return 0, fmt.Errorf("time: invalid duration %q", s)
		}
		total += time.Duration(n * float64(per))
		rest = rest[i+1:]
	}
	if rest != "" {
		d, err := time.ParseDuration(rest)
		if err != nil {
			return 0, fmt.Errorf("time: invalid duration %q", s)
		}
		total += d
	}
	if neg {
		total = -total
	}
	return total, nil
}
