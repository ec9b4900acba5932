package steps

import (
	"fmt"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/arsenal-run/arsenal-run/internal/suggest"
	"github.com/arsenal-run/arsenal-run/internal/yamlx"
)

var stepKeys = []string{"id", "name", "op", "with", "when", "foreach", "concurrency", "fail_fast", "confirm", "retry", "repeat", "timeout", "needs", "continue_on_error", "env", "rescue", "cache", "serial", "max_fail_percentage"}

// MaxConcurrency is the highest concurrency a fan-out may ask for.
const MaxConcurrency = 1024

// The bounds of retry.attempts and retry.backoff.
const (
	maxAttempts = 100
	maxBackoff  = 10
)

func (l *loader) decodeSteps(n *yaml.Node, sec Section, required bool) []*Step {
	if n == nil {
		return nil
	}
	// A list reused whole (finally: *steps) is reached through its alias.
	defer l.d.Within(n, func() string { return string(sec) })()
	n = yamlx.Deref(n)
	if n.Kind != yaml.SequenceNode {
		if yamlx.IsNull(n) && !required {
			return nil
		}
		if n.Kind == yaml.MappingNode && len(n.Content) > 0 {
			// `-id: a`: a key named "-id", not an item.
			if h := yamlx.DashKeyHint([]byte(n.Content[0].Value + ":")); h != "" {
				l.d.Add(yamlx.PosOf(n.Content[0]), "%s must be a list of steps, not a mapping: %s", sec, h)
				return nil
			}
		}
		l.d.Add(yamlx.PosOf(n), "%s must be a list of steps (each item starts with `- id:`), not %s", sec, yamlx.KindName(n))
		return nil
	}
	if len(n.Content) == 0 && required {
		l.d.Add(yamlx.PosOf(n), "steps is empty; a playbook needs at least one step")
	}
	var out []*Step
	var prev *Step
	for _, c := range n.Content {
		if len(l.ids) >= MaxSteps {
			l.d.Add(yamlx.PosOf(c), "more than %d steps, the limit of a playbook; split the playbook and call the parts with playbook.run", MaxSteps)
			break
		}
		s := l.decodeStep(c, sec, prev)
		if s != nil {
			out = append(out, s)
			prev = s
		}
	}
	return out
}

// stepFields holds the nodes of one step until the op is known.
type stepNodes struct {
	with, when, foreach, confirm, name, retry, repeat, env, rescue, cache *yaml.Node
	rescueKey, serial, maxFail, concurrency, failFast                     *yaml.Node
	needsSet                                                              bool
}

// idsUnique says where step ids must be unique: every list of steps of
// one playbook, rescue steps and notify entries included.
const idsUnique = "ids are unique across steps, rescue, on_success, on_failure, on_cancel, finally and notify"

func (l *loader) decodeStep(n *yaml.Node, sec Section, prev *Step) *Step {
	s := &Step{Pos: yamlx.PosOf(yamlx.Deref(n)), Section: sec, Concurrency: 1, FailFast: true, Retry: Retry{Attempts: 1, Backoff: 1}}
	defer l.d.Within(n, s.describe)()
	s.owners = l.d.Owners()
	var sn stepNodes
	var opNode *yaml.Node
	shown := stepKeys
	if sec != SectionSteps {
		// rescue is read, to say why it does not apply here, but not
		// offered.
		shown = stepKeysNoRescue
	}
	ok := yamlx.FieldsShown(n, "a step", stepKeys, shown, l.stepKeyHint(n, sec), l.d, func(key string, k, v *yaml.Node) {
		switch key {
		case "id":
			id, ok := yamlx.Str(v, "id", l.d)
			if !ok {
				return
			}
			// A bad or duplicate id is one problem: the rest of the step is
			// still checked under the id as written (see misnamed), so that
			// validate reports its other problems at once.
			switch {
			case !idRE.MatchString(id) || len(id) > MaxIDLen:
				fix := fixID(id)
				l.d.Add(yamlx.PosOf(v), "step id %q: use lower-case letters, digits and _ (at most %d), e.g. %s, so expressions can say steps.%s", yamlx.Truncate(id, 80), MaxIDLen, fix, fix)
				if id != "" {
					s.ID = yamlx.Truncate(id, 80)
					l.misname(id, s)
					l.misname(fix, s)
				}
			case l.ids[id] != nil:
				prev := l.ids[id]
				pos, via, fix := yamlx.PosOf(v), "", "rename one of them"
				switch {
				case n.Kind == yaml.AliasNode:
					// The whole step is an alias: its id is the anchor's,
					// always taken. Say so where the alias stands.
					pos, via = yamlx.PosOf(n), fmt.Sprintf(" (repeated by the alias *%s)", n.Value)
					fix = fmt.Sprintf("to reuse the step, write `- <<: *%s` and give it an id: of its own", n.Value)
				case !ownKey(n, k):
					// The id came in through a << merge key.
					pos, via = s.Pos, fmt.Sprintf(" (merged in by <<, from line %d)", v.Line)
					fix = "give this step an id: of its own, beside the <<"
				}
				// References to the id find the first step.
				s.ID = id
				l.d.Add(pos, "step id %q%s is already used at line %d, column %d (in %s); %s: %s", id, via, prev.Pos.Line, prev.Pos.Col, prev.Section, idsUnique, fix)
			default:
				s.ID = id
				l.ids[id] = s
			}
		case "op":
			opNode = v
		case "with":
			sn.with = v
		case "when":
			sn.when = v
		case "foreach":
			sn.foreach = v
		case "confirm":
			sn.confirm = v
		case "name":
			sn.name = v
		case "retry":
			sn.retry = v
		case "repeat":
			sn.repeat = v
		case "rescue":
			sn.rescue, sn.rescueKey = v, k
		case "env":
			sn.env = v
		case "cache":
			sn.cache = v
		case "serial":
			sn.serial = v
		case "max_fail_percentage":
			sn.maxFail = v
		case "concurrency":
			sn.concurrency = v
			s.Concurrency, _ = l.literalInt(v, "concurrency", 1, MaxConcurrency, "how many items run at once (concurrency: 4)")
		case "fail_fast":
			sn.failFast = v
			// Keep the default on error, so that a bad value is reported
			// once rather than also as a fail_fast without foreach.
			if l.computed(v, "fail_fast", "true or false") {
				break
			}
			if b, ok := yamlx.Bool(v, "fail_fast", l.d); ok {
				s.FailFast = b
			}
		case "timeout":
			s.Timeout, _ = l.duration(v, "timeout")
		case "continue_on_error":
			s.ContinueOnError, _ = yamlx.Bool(v, "continue_on_error", l.d)
		case "needs":
			sn.needsSet = true
			s.Needs = l.needs(v, &s.needPos)
		}
	})
	if !ok {
		return nil
	}
	if s.ID == "" && !l.hasKey(n, "id") {
		l.d.Add(s.Pos, "a step needs an id (lower-case letters, digits and _)")
	}
	if s.ID == "" {
		return nil
	}
	if !sn.needsSet && prev != nil {
		s.Needs = []string{prev.ID}
		s.needPos = []Pos{s.Pos}
	}
	l.resolveOp(s, opNode)
	if sn.foreach != nil {
		s.fanout = true
		switch yamlx.Deref(sn.foreach).Kind {
		case yaml.MappingNode:
			s.Matrix = l.decodeMatrix(sn.foreach, s)
		case yaml.SequenceNode:
			from := len(l.pending)
			s.Foreach = l.literalForeach(sn.foreach, s)
			l.markSource(from, &valueSource{step: s})
		default:
			from := len(l.pending)
			s.Foreach = l.bareExpr(sn.foreach, "foreach", l.stepScope(s)&^scopeItem, s, false)
			l.markSource(from, &valueSource{step: s})
		}
	} else {
		// Each where it is written, as serial: is.
		if s.Concurrency > 1 {
			l.d.Add(yamlx.PosOf(yamlx.Deref(sn.concurrency)), "concurrency applies to a foreach step, running its items at once; add foreach or remove it")
		}
		if !s.FailFast {
			l.d.Add(yamlx.PosOf(yamlx.Deref(sn.failFast)), "fail_fast applies to a foreach step, going on past a failed item; add foreach, or continue_on_error: true to go on past this step's failure")
		}
	}
	l.decodeSerial(s, n, sn.serial, sn.maxFail)
	sc := l.stepScope(s)
	if sn.when != nil {
		s.When = l.bareExpr(sn.when, "when", sc&^scopeItem, s, true)
	}
	if sn.name != nil {
		if d := yamlx.Deref(sn.name); d.Kind != yaml.ScalarNode || yamlx.IsNull(d) {
			l.d.Add(yamlx.PosOf(d), "name must be text, like \"Restart the workers\" (it may use ${{ }}), not %s", yamlx.KindName(d))
		} else {
			s.Name = l.value(sn.name, sc&^scopeItem, s, -1, false)
		}
	}
	if sn.confirm != nil {
		// A question, written out: false, null or "" would still ask one
		// (an empty one), and a list or a map would be asked as JSON.
		if d := yamlx.Deref(sn.confirm); d.Kind != yaml.ScalarNode || d.ShortTag() != "!!str" || strings.TrimSpace(d.Value) == "" {
			l.d.Add(yamlx.PosOf(d), "confirm must be the question to ask, like \"Restart ${{ inputs.service }}?\", not %s; to ask nothing, leave confirm out", yamlx.KindName(d))
		} else {
			// confirm is asked once for the whole step, before any item runs.
			s.Confirm = l.value(sn.confirm, sc&^scopeItem, s, -1, false)
		}
	}
	if sn.env != nil {
		s.Env = l.envVars(sn.env, "env of step "+s.ID, s)
	}
	if sn.retry != nil {
		l.decodeRetry(sn.retry, s)
	}
	if sn.repeat != nil {
		l.decodeRepeat(sn.repeat, s)
	}
	if sn.cache != nil {
		s.Cache = l.decodeCache(sn.cache, s)
	}
	l.decodeWith(sn.with, s)
	if sn.rescue != nil {
		l.decodeRescue(sn.rescueKey, sn.rescue, s)
	}
	return s
}

// misname records a step whose id is not valid under name: its id as
// written, or the valid id its message proposes. Needs and steps.<id> that
// use either name then find the step instead of adding an error of their
// own about a step that is not there (see addMisnamed).
func (l *loader) misname(name string, s *Step) {
	if l.misnamed == nil {
		l.misnamed = map[string]*Step{}
	}
	if l.misnamed[name] == nil {
		l.misnamed[name] = s
	}
}

// addMisnamed adds the names of misnamed steps to the step ids, once every
// id is known, so that a valid id always wins over one only proposed.
func (l *loader) addMisnamed() {
	for name, s := range l.misnamed {
		if l.ids[name] == nil {
			l.ids[name] = s
		}
	}
}

// fixID proposes a valid step id for an invalid one: lower case, with _
// for every other character, cut to MaxIDLen.
func fixID(id string) string {
	b := []byte(strings.ToLower(id))
	for i, c := range b {
		if (c < 'a' || c > 'z') && (c < '0' || c > '9') {
			b[i] = '_'
		}
	}
	if len(b) > MaxIDLen {
		b = b[:MaxIDLen]
	}
	if len(b) == 0 {
		return "my_step"
	}
	return string(b)
}

func (l *loader) hasKey(n *yaml.Node, key string) bool {
	pairs, _ := yamlx.Pairs(n, "", &yamlx.Diags{})
	for _, p := range pairs {
		if p.Key == key {
			return true
		}
	}
	return false
}

func (l *loader) stepScope(s *Step) scope {
	if s.fanout {
		return scopeItem
	}
	return 0
}

func (l *loader) needs(n *yaml.Node, pos *[]Pos) []string {
	n = yamlx.Deref(n)
	if n.Kind != yaml.SequenceNode {
		l.d.Add(yamlx.PosOf(n), "needs must be a list of step ids, like [build, test]; [] starts the step at once")
		return nil
	}
	out := []string{}
	seen := map[string]bool{}
	for _, c := range n.Content {
		id, ok := yamlx.Str(c, "each need", l.d)
		if !ok {
			continue
		}
		if seen[id] {
			l.d.Add(yamlx.PosOf(c), "%s is named twice in needs", id)
			continue
		}
		seen[id] = true
		out = append(out, id)
		*pos = append(*pos, yamlx.PosOf(yamlx.Deref(c)))
	}
	return out
}

// ownKey reports whether k is a key written in mapping n itself, not one
// that a << merge key brought in.
func ownKey(n, k *yaml.Node) bool {
	n = yamlx.Deref(n)
	for i := 0; i < len(n.Content); i += 2 {
		if n.Content[i] == k {
			return true
		}
	}
	return false
}

func didYouMeanStep(id string, ids map[string]*Step) string {
	names := make([]string, 0, len(ids))
	for k, s := range ids {
		if s.ID == k {
			names = append(names, k)
		}
	}
	return suggest.DidYouMean(id, names)
}
