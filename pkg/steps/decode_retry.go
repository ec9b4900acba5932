package steps

import (
	"fmt"
	"strconv"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/arsenal-run/arsenal-run/internal/short"
	"github.com/arsenal-run/arsenal-run/internal/suggest"
	"github.com/arsenal-run/arsenal-run/internal/yamlx"
)

var retryKeys = []string{"attempts", "delay", "backoff", "max_delay", "jitter", "when", "until"}

// decodeRetry reads a step's retry: block.
func (l *loader) decodeRetry(n *yaml.Node, s *Step) {
	r := &s.Retry
	sc := l.stepScope(s) | scopeRetry
	if d := yamlx.Deref(n); d.Kind == yaml.ScalarNode && d.ShortTag() == "!!int" {
		l.d.Add(yamlx.PosOf(d), "retry must be a mapping, not a number; to try %s times write retry: {attempts: %s}, and add delay: 5s to wait between tries", d.Value, d.Value)
		return
	}
	yamlx.FieldsHint(n, "retry", retryKeys, retryKeyHint(n), l.d, func(key string, k, v *yaml.Node) {
		switch key {
		case "attempts":
			if e, dyn := l.settingExpr(v, "retry.attempts", s, wantInteger); dyn {
				r.AttemptsExpr = e
				return
			}
			if d := yamlx.Deref(v); d.Kind == yaml.ScalarNode && d.ShortTag() == "!!int" {
				if a, err := strconv.Atoi(d.Value); err != nil || a < 1 || a > maxAttempts {
					l.d.Add(yamlx.PosOf(d), "retry.attempts is %s; it must be between 1 and %d, the tries in all, the first included (1 tries once); to wait longer than %d tries, use repeat: {until: …, timeout: 30m}", yamlx.Truncate(d.Value, 40), maxAttempts, maxAttempts)
					return
				}
			}
			r.Attempts, _ = yamlx.Int(v, "retry.attempts", 1, maxAttempts, l.d)
		case "delay":
			if e, dyn := l.settingExpr(v, "retry.delay", s, wantDuration); dyn {
				r.DelayExpr = e
				return
			}
			r.Delay, _ = l.duration(v, "retry.delay")
			r.delayPos = yamlx.PosOf(yamlx.Deref(v))
		case "max_delay":
			if e, dyn := l.settingExpr(v, "retry.max_delay", s, wantDuration); dyn {
				r.MaxDelayExpr = e
				return
			}
			r.MaxDelay, _ = l.duration(v, "retry.max_delay")
		case "backoff":
			if l.notNumber(v, "retry.backoff", backoffFix) {
				return
			}
			r.Backoff, _ = yamlx.Number(v, "retry.backoff", 1, maxBackoff, l.d)
		case "jitter":
			if l.notNumber(v, "retry.jitter", "write the share of each wait to spread it by, from 0 to 1, like jitter: 0.2 (a 10s wait then lasts 8s to 12s)") {
				return
			}
			r.Jitter, _ = yamlx.Number(v, "retry.jitter", 0, 1, l.d)
		case "when":
			r.When = l.bareExpr(v, "retry.when", sc, s, true)
		case "until":
			r.Until = l.bareExpr(v, "retry.until", sc, s, true)
		}
	})
	if r.Attempts == 0 {
		r.Attempts = 1
	}
	if r.Backoff == 0 {
		r.Backoff = 1
	}
	if r.MaxDelay > 0 && r.Delay > r.MaxDelay {
		l.d.Add(yamlx.PosOf(n), "retry.delay %s is longer than retry.max_delay %s; make delay the first wait and max_delay the longest", short.Duration(r.Delay), short.Duration(r.MaxDelay))
	}
	if t := l.pb.Timeout; t > 0 {
		l.delayWithin(r, t, "the playbook timeout", "or lengthen the playbook's timeout")
	}
}

// delayWithin refuses a retry whose first wait is as long as limit, the
// time the whole step has: that wait is always cut, so the step is tried
// once, whatever attempts says.
func (l *loader) delayWithin(r *Retry, limit time.Duration, what, fix string) {
	if r.Delay < limit || (r.Attempts < 2 && r.AttemptsExpr == nil) {
		return
	}
	l.d.Add(r.delayPos, "retry.delay %s is not shorter than %s of %s, so the step would never be tried again; shorten delay, %s", short.Duration(r.Delay), what, short.Duration(limit), fix)
}

// decodeWith builds the parameters and checks those known now against the
// operation's schema.

// backoffFix says what retry.backoff is, and how other tools' ways of
// writing an exponential backoff are written here.
const backoffFix = "write the multiplier of each wait from 1 to 10, like backoff: 2 with delay: 1s for waits of 1s, 2s, 4s (Argo's backoff: {duration: 1s, factor: 2} is delay: 1s, backoff: 2)"

// notNumber reports whether n is given as something else than a number
// (a word like exponential, a duration, a mapping), saying so with fix.
// A number in quotes is left to yamlx.Number, which says to unquote it.
func (l *loader) notNumber(n *yaml.Node, what, fix string) bool {
	d := yamlx.Deref(n)
	if d.Kind == yaml.ScalarNode {
		switch d.ShortTag() {
		case "!!int", "!!float":
			return false
		case "!!str":
			if _, err := strconv.ParseFloat(d.Value, 64); err == nil {
				return false
			}
		}
	}
	l.d.Add(yamlx.PosOf(d), "%s must be a number, not %s; %s", what, yamlx.KindName(d), fix)
	return true
}

// retryKeyHint says, for a key that Ansible, Argo Workflows or a retry
// library gives a retry, which key a retry: block writes instead. Their
// retries and limit count the tries after the first; attempts counts
// them all, so the hint gives the number to write.
func retryKeyHint(n *yaml.Node) func(key string) string {
	return func(key string) string {
		switch key {
		case "retries", "limit", "max_retries", "maxRetries":
			return fmt.Sprintf(" (attempts counts every try, the first included: %s is %s)", key+": "+retryCount(n, key, 0), "attempts: "+retryCount(n, key, 1))
		case "max_attempts", "maxAttempts", "tries", "count", "times":
			return suggest.Hint("attempts")
		case "interval", "wait", "sleep", "duration", "initial_delay", "initialDelay":
			return suggest.Hint("delay")
		case "factor", "multiplier":
			return suggest.Hint("backoff")
		case "max_interval", "maxInterval", "max_wait", "maxDelay", "cap":
			return suggest.Hint("max_delay")
		case "condition", "if", "retry_on", "retryPolicy":
			return suggest.Hint("when")
		}
		return ""
	}
}

// retryCount is the value of key in the retry mapping n plus add, when it
// is a small integer, and N or N+1 otherwise.
func retryCount(n *yaml.Node, key string, add int) string {
	dn := yamlx.Deref(n)
	for i := 0; i+1 < len(dn.Content); i += 2 {
		if dn.Content[i].Value != key {
			continue
		}
		v := yamlx.Deref(dn.Content[i+1])
		if v.Kind == yaml.ScalarNode && v.ShortTag() == "!!int" {
			if c, err := strconv.Atoi(v.Value); err == nil && c >= 0 && c < maxAttempts {
				return strconv.Itoa(c + add)
			}
		}
	}
	if add == 0 {
		return "N"
	}
	return "N+1"
}
