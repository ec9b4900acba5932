package steps

import (
	"fmt"
	"reflect"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/arsenal-run/arsenal-run/internal/exprsafe"
	"github.com/arsenal-run/arsenal-run/internal/short"
	"github.com/arsenal-run/arsenal-run/internal/yamlx"
)

var repeatKeys = []string{"until", "every", "timeout"}

// MaxRepeatAttempts bounds a repeat, in the number of attempts it may take: its
// timeout divided by its every. A repeat that waits longer than this
// between attempts is fine; one that would try more often is refused.
const MaxRepeatAttempts = 100_000

// The kinds of value a retry or repeat setting written as ${{ }} must
// give.
const (
	wantInteger  = "integer"
	wantDuration = "duration"
)

// decodeRepeat reads repeat: {until, every, timeout}. until is required
// (it is what the repeat waits for) and so is timeout (a wait needs an
// end); every defaults to DefaultRepeatEvery.
func (l *loader) decodeRepeat(n *yaml.Node, s *Step) {
	rp := &Repeat{Pos: yamlx.PosOf(yamlx.Deref(n)), Every: DefaultRepeatEvery}
	var untilSeen, timeoutSeen bool
	ok := yamlx.Fields(n, "repeat", repeatKeys, l.d, func(key string, k, v *yaml.Node) {
		switch key {
		case "until":
			untilSeen = true
			rp.Until = l.bareExpr(v, "repeat.until", l.stepScope(s)|scopeRetry, s, true)
		case "every":
			if e, dyn := l.settingExpr(v, "repeat.every", s, wantDuration); dyn {
				rp.EveryExpr = e
				return
			}
			rp.Every, _ = l.duration(v, "repeat.every")
		case "timeout":
			timeoutSeen = true
			rp.Timeout, _ = l.duration(v, "repeat.timeout")
		}
	})
	if !ok {
		return
	}
	if yamlx.IsNull(n) {
		l.d.Add(rp.Pos, "repeat needs until and timeout, like {until: output.status == 200, every: 10s, timeout: 30m}")
		return
	}
	if !untilSeen {
		l.d.Add(rp.Pos, "repeat needs until: the condition it waits for, like until: output.status == 200")
	}
	if !timeoutSeen {
		l.d.Add(rp.Pos, "repeat needs timeout: how long it may wait in all, like timeout: 30m")
	}
	if rp.EveryExpr == nil && rp.Every > 0 && rp.Timeout > 0 {
		if rp.Every > rp.Timeout {
			l.d.Add(rp.Pos, "repeat.every %s is longer than repeat.timeout %s, so the step would be tried once; shorten every, or lengthen timeout", short.Duration(rp.Every), short.Duration(rp.Timeout))
		} else if rp.Timeout/rp.Every > MaxRepeatAttempts {
			l.d.Add(rp.Pos, "repeat would try up to %d times (timeout %s / every %s), over the limit of %d; wait longer between attempts", rp.Timeout/rp.Every, short.Duration(rp.Timeout), short.Duration(rp.Every), MaxRepeatAttempts)
		}
	}
	if rp.Timeout > 0 {
		l.delayWithin(&s.Retry, rp.Timeout, "repeat.timeout", "or lengthen repeat.timeout")
	}
	s.Repeat = rp
}

// settingExpr reads a retry or repeat setting written as one ${{ expr }}:
// it reports dyn when the value is such a string, and returns the
// expression (nil after an error). The expression may read inputs, vars,
// env and run, and is evaluated once when the step starts; its type is
// checked against want once it is compiled.
func (l *loader) settingExpr(n *yaml.Node, what string, s *Step, want string) (*Expr, bool) {
	n = yamlx.Deref(n)
	if n.Kind != yaml.ScalarNode || n.ShortTag() != "!!str" || !strings.Contains(n.Value, "${{") {
		return nil, false
	}
	texts, spans, problem, at := exprsafe.Scan(n.Value)
	switch {
	case problem != "":
		l.d.Add(l.posAt(n, at), "%s", problem)
		return nil, true
	case len(spans) != 1 || texts[0] != "" || texts[1] != "":
		l.d.Add(yamlx.PosOf(n), "%s must be a literal or exactly one ${{ expression }}, like \"${{ inputs.%s }}\"", what, strings.TrimPrefix(strings.TrimPrefix(what, "retry."), "repeat."))
		return nil, true
	}
	e := l.expr(n, spans[0].Src, spans[0].SrcOff, scopeVars|scopeStart, s, false, -1)
	l.pending[len(l.pending)-1].want = want
	l.pending[len(l.pending)-1].what = what
	return e, true
}

// checkSetting refuses a retry or repeat setting whose type the checker
// knows is wrong: attempts must be a number, a duration a string.
func (l *loader) checkSetting(pe *pendingExpr, c *compiled) {
	switch c.kind {
	case reflect.Interface, reflect.Invalid:
		return
	}
	ok := false
	switch pe.want {
	case wantInteger:
		switch c.kind {
		case reflect.Int, reflect.Int64, reflect.Int32, reflect.Float64, reflect.Float32:
			ok = true
		}
	case wantDuration:
		ok = c.kind == reflect.String
	}
	if ok {
		return
	}
	hint := "a whole number like 3"
	if pe.want == wantDuration {
		hint = "a duration string like \"10s\" (a duration input, or string(x) + \"s\")"
	}
	l.d.Add(l.posAt(pe.node, pe.off), "%s must give %s, but `%s` gives %s", pe.what, hint, pe.e.Source, kindName(c.kind))
}

func kindName(k reflect.Kind) string {
	switch k {
	case reflect.Int, reflect.Int64, reflect.Int32, reflect.Uint, reflect.Uint64:
		return "an integer"
	case reflect.Float64, reflect.Float32:
		return "a number"
	case reflect.Map, reflect.Struct:
		return "a map"
	case reflect.Slice, reflect.Array:
		return "a list"
	case reflect.Bool:
		return "a bool"
	case reflect.String:
		return "a string"
	}
	return fmt.Sprintf("a %s", k)
}
