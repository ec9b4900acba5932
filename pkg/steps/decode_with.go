package steps

// The operation a step calls and its with: params, read and checked
// against the operation's spec, expressions kept for run time.

import (
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/arsenal-run/arsenal-run/internal/yamlx"
	"github.com/arsenal-run/arsenal-run/pkg/ops"
)

func (l *loader) resolveOp(s *Step, n *yaml.Node) {
	if n == nil {
		l.d.Add(s.Pos, "step %s has no op; add `op: control.noop` or see 'arsenal-run ops list'", s.ID)
		return
	}
	name, ok := yamlx.Str(n, "op", l.d)
	if !ok {
		return
	}
	if strings.Contains(name, "${{") {
		l.d.Add(yamlx.PosOf(n), "op must be a literal operation name; an expression cannot choose the op")
		return
	}
	s.Op = name
	e, err := l.reg.Get(name)
	if err != nil {
		l.d.Add(yamlx.PosOf(n), "%v", err)
		return
	}
	s.Entry = e
}

func (l *loader) decodeWith(n *yaml.Node, s *Step) {
	sc := l.stepScope(s)
	var pairs []yamlx.Pair
	if n != nil {
		var ok bool
		pairs, ok = yamlx.Pairs(n, "with", l.d)
		if !ok {
			return
		}
	}
	if s.Entry != nil {
		for _, p := range pairs {
			if prm := s.Entry.Spec.Param(p.Key); p.Key == "command" && prm != nil && prm.Type == ops.TypeList {
				l.checkCodeArg(s, p.V)
				l.checkCodeStdin(p.V, pairs)
			}
			if prm := s.Entry.Spec.Param(p.Key); prm != nil && prm.NoInterpolation {
				if v := yamlx.Deref(p.V); v.Kind == yaml.ScalarNode && strings.Contains(v.Value, "${{") {
					l.d.Add(l.posAt(v, strings.Index(v.Value, "${{")), "${{ }} is not allowed in %s.%s: an interpolated value would run as code; %s", s.Op, p.Key, prm.Fix)
					return
				}
			}
		}
	}
	with := &Value{Kind: KindMap, Pos: s.Pos}
	raw := make(map[string]any, len(pairs))
	keyPos := make(map[string]Pos, len(pairs))
	valPos := make(map[string]Pos, len(pairs))
	for _, p := range pairs {
		prm := (*ops.Param)(nil)
		if s.Entry != nil {
			prm = s.Entry.Spec.Param(p.Key)
		}
		from := len(l.pending)
		v := l.value(p.V, sc, s, -1, prm != nil && prm.NoInterpolation)
		if prm != nil && prm.Template {
			v.Escaped = true
		}
		if prm != nil {
			l.expectParam(v, prm, s, from)
			l.markURLs(v, prm, s, from)
			l.markArgv(prm, s, from)
			if prm.Secret {
				for _, pe := range l.pending[from:] {
					pe.secret = &paramWant{step: s, param: prm, item: -1}
				}
			}
		}
		with.Keys = append(with.Keys, p.Key)
		with.Items = append(with.Items, v)
		keyPos[p.Key] = yamlx.PosOf(p.K)
		valPos[p.Key] = yamlx.PosOf(yamlx.Deref(p.V))
		if v.Dynamic() {
			raw[p.Key] = ops.Deferred
		} else {
			raw[p.Key] = v.Lit
		}
	}
	if n != nil {
		with.Pos = yamlx.PosOf(yamlx.Deref(n))
	}
	dynamic := false
	for _, it := range with.Items {
		dynamic = dynamic || it.Dynamic()
	}
	if !dynamic {
		with = &Value{Kind: KindLiteral, Pos: with.Pos, Lit: raw}
	}
	s.With, s.ParamPos = with, valPos
	if s.Entry == nil {
		return
	}
	params, err := s.Entry.Validate(raw, !dynamic)
	s.judgeRisk(params, with)
	l.literalHost(s, valPos)
	if err == nil {
		if !dynamic {
			s.Params = params
		}
		if s.Op == SubPlaybookOp {
			l.checkSubPlaybook(s, pairs)
		}
		l.checkFileParams(s, pairs)
		return
	}
	pes, _ := err.(ops.ParamErrors)
	for _, pe := range pes {
		pos, ok := keyPos[pe.Param]
		if !ok {
			pos = with.Pos
		}
		pe = stepKeyUnderWith(s, pe)
		msg := pe.Error()
		if pe.Param != "" && !ok {
			msg += " (add it under with:)"
		}
		// Named as the run names it: "step b: acme.hi: param n: …".
		l.d.AddFor(pos, "step "+s.ID, "%s: %s", s.Op, msg)
	}
}
