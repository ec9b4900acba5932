package auth

import (
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/arsenal-run/arsenal-run/internal/suggest"
	"github.com/arsenal-run/arsenal-run/internal/yamlx"
)

// RateLimits are the request rates a server allows, from the policy's
// rate: block. The zero value limits nothing.
type RateLimits struct {
	// PerKey bounds the requests of each caller (an API key or a client
	// certificate); nil for no bound.
	PerKey *Rate
	// Ops bounds the executions of operations, whoever asks, by op
	// pattern (an exact name, "category.*" or "*"). An execution must fit
	// every pattern that matches its op.
	Ops []OpRate
}

// OpRate is the rate of the operations that match Pattern.
type OpRate struct {
	Pattern string
	Rate    Rate
}

// Rate is a token bucket: Burst events at once, refilled at PerSecond.
type Rate struct {
	PerSecond float64
	Burst     int
	Text      string // as written, like "50/s"
}

func (r Rate) String() string { return r.Text }

// For returns the rates that apply to op, in the policy's order.
func (l RateLimits) For(op string) []OpRate {
	var out []OpRate
	for _, r := range l.Ops {
		if Match(r.Pattern, op) {
			out = append(out, r)
		}
	}
	return out
}

// MaxRate bounds the number in a rate.
const MaxRate = 1_000_000

var rateRE = regexp.MustCompile(`^([0-9]+)/(s|m|h)$`)

// ParseRate reads a rate written N/s, N/m or N/h: N events per second,
// minute or hour, of which all N may come at once.
func ParseRate(s string) (Rate, error) {
	m := rateRE.FindStringSubmatch(s)
	if m == nil {
		return Rate{}, fmt.Errorf("rate %q: write it as a count per second, minute or hour, like 50/s, 300/m or 1000/h", s)
	}
	n, err := strconv.Atoi(m[1])
	if err != nil || n < 1 || n > MaxRate {
		return Rate{}, fmt.Errorf("rate %q: the count must be between 1 and %d", s, MaxRate)
	}
	per := map[string]time.Duration{"s": time.Second, "m": time.Minute, "h": time.Hour}[m[2]]
	return Rate{PerSecond: float64(n) / per.Seconds(), Burst: n, Text: s}, nil
}

var rateKeys = []string{"per_key", "ops"}

// rate reads the policy's rate: block.
func (l *policyLoader) rate(n *yaml.Node) {
	rl := RateLimits{}
	read := func(v *yaml.Node, what string) (Rate, bool) {
		s, ok := yamlx.Str(v, what, l.d)
		if !ok {
			return Rate{}, false
		}
		r, err := ParseRate(s)
		if err != nil {
			l.d.Add(yamlx.PosOf(yamlx.Deref(v)), "%s: %v", what, err)
			return Rate{}, false
		}
		return r, true
	}
	yamlx.Fields(n, "rate", rateKeys, l.d, func(key string, k, v *yaml.Node) {
		switch key {
		case "per_key":
			if r, ok := read(v, "rate.per_key"); ok {
				rl.PerKey = &r
			}
		case "ops":
			pairs, ok := yamlx.Pairs(v, "rate.ops", l.d)
			if !ok {
				return
			}
			for _, p := range pairs {
				if !l.ratePattern(p.Key, yamlx.PosOf(p.K)) {
					continue
				}
				if r, ok := read(p.V, "rate.ops."+p.Key); ok {
					rl.Ops = append(rl.Ops, OpRate{Pattern: p.Key, Rate: r})
				}
			}
		}
	})
	sort.SliceStable(rl.Ops, func(i, j int) bool { return rl.Ops[i].Pattern < rl.Ops[j].Pattern })
	l.p.Rate = rl
}

// ratePattern checks an op pattern of rate.ops against the registry.
func (l *policyLoader) ratePattern(p string, pos yamlx.Pos) bool {
	switch {
	case p == "*":
		return true
	case l.reg == nil:
		return true
	case len(p) > 2 && p[len(p)-2:] == ".*":
		cat := p[:len(p)-2]
		if len(l.reg.List(cat)) == 0 {
			l.d.Add(pos, "rate.ops: %q names no category of operations%s", p, suggest.DidYouMean(cat, l.reg.Categories()))
			return false
		}
		return true
	}
	if _, err := l.reg.Get(p); err != nil {
		l.d.Add(pos, "rate.ops: %v", err)
		return false
	}
	return true
}
