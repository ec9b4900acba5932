package steps

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/arsenal-run/arsenal-run/internal/short"
	"github.com/arsenal-run/arsenal-run/internal/yamlx"
	"github.com/arsenal-run/arsenal-run/pkg/ops"
)

// duration reads a positive Go duration no longer than MaxDuration.
func (l *loader) duration(n *yaml.Node, what string) (time.Duration, bool) {
	n = yamlx.Deref(n)
	if n.Kind != yaml.ScalarNode || n.ShortTag() != "!!str" {
		if n.Kind == yaml.ScalarNode && (n.ShortTag() == "!!int" || n.ShortTag() == "!!float") {
			if f, err := strconv.ParseFloat(n.Value, 64); err == nil && f <= 0 {
				// Adding a unit to 0 or -5 gives a duration refused below.
				l.d.Add(yamlx.PosOf(n), "%s must be positive, not %s%s", what, n.Value, positiveAdvice(what))
				return 0, false
			}
			l.d.Add(yamlx.PosOf(n), "%s: %s has no unit; write it with one, like %ss or %sm", what, n.Value, n.Value, n.Value)
			return 0, false
		}
		l.d.Add(yamlx.PosOf(n), "%s must be a duration like 30s, 5m or 1h30m, not %s", what, yamlx.KindName(n))
		return 0, false
	}
	d, err := time.ParseDuration(n.Value)
	switch {
	case err != nil:
		if h := InHours(n.Value); h != "" {
			l.d.Add(yamlx.PosOf(n), "%s: %q is not a duration here, where days and weeks are no unit; write %s", what, n.Value, h)
			return 0, false
		}
		l.d.Add(yamlx.PosOf(n), "%s: %q is not a duration; write it like 30s, 5m or 1h30m", what, yamlx.Truncate(n.Value, 40))
		return 0, false
	case d <= 0:
		l.d.Add(yamlx.PosOf(n), "%s must be positive, not %s%s", what, n.Value, positiveAdvice(what))
		return 0, false
	case d > MaxDuration:
		l.d.Add(yamlx.PosOf(n), "%s of %s is longer than the limit of %s", what, n.Value, short.Duration(MaxDuration))
		return 0, false
	}
	return d, true
}

// positiveAdvice tells how to mend a duration that is not positive: a
// positive one, or, where leaving the key out has a meaning, that.
func positiveAdvice(what string) string {
	key := what[strings.LastIndexByte(what, '.')+1:]
	switch what {
	case "timeout":
		return "; write a duration like 30s, or leave timeout out for no time limit"
	case "retry.delay":
		return "; write a duration like 1s, or leave delay out to retry at once"
	case "retry.max_delay":
		return "; write a duration like 30s, or leave max_delay out for no cap"
	case "repeat.every":
		return "; write a duration like 10s, or leave every out for 10s"
	case "schedule.jitter", "schedule.starting_deadline":
		return "; write a duration like 5m, or leave " + key + " out for none"
	}
	return "; write a duration like 30s"
}

// InHours is s, a duration written with days or weeks (7d, 2w, 1d12h) as
// op params, retention flags and people write them, in the units of Go's
// durations (168h, 336h, 36h), which playbook durations are read in; "" when
// s is no such duration.
func InHours(s string) string {
	if _, err := time.ParseDuration(s); err == nil || !strings.ContainsAny(s, "dw") {
		return ""
	}
	d, err := ops.ParseDuration(s)
	if err != nil || d <= 0 {
		return ""
	}
	if d%time.Hour == 0 {
		return fmt.Sprintf("%dh", d/time.Hour)
	}
	h := d.String() // 24h30m0s
	if strings.HasSuffix(h, "m0s") {
		h = strings.TrimSuffix(h, "0s")
	}
	return h
}

// ShortDuration writes d as a user writes it, without the zero units
// time.Duration's String adds: 48h, not 48h0m0s; 1h30s, not 1h0m30s.
func ShortDuration(d time.Duration) string { return short.Duration(d) }
