package steps

import (
	"time"

	"go.yaml.in/yaml/v3"

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
	yamlx.Fields(n, "retry", retryKeys, l.d, func(key string, k, v *yaml.Node) {
		switch key {
		case "attempts":
			if e, dyn := l.settingExpr(v, "retry.attempts", s, wantInteger); dyn {
				r.AttemptsExpr = e
				return
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
			r.Backoff, _ = yamlx.Number(v, "retry.backoff", 1, maxBackoff, l.d)
		case "jitter":
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
		l.d.Add(yamlx.PosOf(n), "retry.delay %s is longer than retry.max_delay %s", r.Delay, r.MaxDelay)
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
	l.d.Add(r.delayPos, "retry.delay %s is not shorter than %s of %s, so the step would never be tried again; shorten delay, %s", r.Delay, what, limit, fix)
}

// decodeWith builds the parameters and checks those known now against the
// operation's schema.
