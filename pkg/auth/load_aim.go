package auth

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"

	"go.yaml.in/yaml/v3"

	"github.com/arsenal-run/arsenal-run/pkg/ops"
	"github.com/arsenal-run/arsenal-run/pkg/steps"
)

// aimUse is where a runbook uses an input as the address an operation
// connects to.
type aimUse struct {
	op, param, where string
	step             string // the step's id (a notify entry's)
	line, col        int
}

// warnAimedSecrets warns of each secret input of the runbook at abs that
// the grant g leaves a caller free to set (neither it nor the runbook
// constrains it) and that the runbook uses as the address an operation
// connects to (a notify webhook's url, an http.request url, an SMTP host),
// itself or in a sub-playbook it passes the input to.
// A caller could point the granted role's requests, and the credentials
// they carry, anywhere; the fix is to pin the input in the grant.
func (l *policyLoader) warnAimedSecrets(g Grant, at grantSite, abs string, inputs []*steps.Input) {
	if l.reg == nil {
		return
	}
	var free []*steps.Input
	for _, in := range inputs {
		if in.Secret && g.Inputs[in.Name] == nil && in.Constraint.IsZero() {
			free = append(free, in)
		}
	}
	if len(free) == 0 {
		return
	}
	data, err := os.ReadFile(abs)
	if err != nil {
		return
	}
	names := make([]string, len(free))
	for i, in := range free {
		names[i] = in.Name
	}
	// Followed into the sub-playbooks it passes the input to, as the
	// check of a run's aimed inputs follows it (AimOf). One that cannot
	// be read now is left to that check at run time.
	uses := AimOf(l.reg, abs, data, names).Uses
	for _, in := range free {
		u, ok := uses[in.Name]
		if !ok || u.Unread != "" {
			continue
		}
		file := g.Path
		if u.File != "" {
			file = filepath.Join(filepath.Dir(g.Path), u.File)
		}
		l.d.Warn(at.pos, "role %s's grant of %q as %s leaves secret input %s free, yet the runbook uses it%s as %s (%s, %s:%d:%d), so a caller may send role %s's requests, and what they carry, anywhere; pin it in the grant (inputs: {%s: [\"https://…\"]}), or give the runbook's input a pattern",
			at.role, g.Path, g.As, in.Name, u.Via, u.Leads(), u.Where, file, u.Line, u.Col, g.As, in.Name)
	}
}

// itemRef matches a fan-out's item in expression text.
var itemRef = regexp.MustCompile(`(^|[^.\w])item\b`)

// carried says whether the address text u carries input through one of
// refs, and through what ("" for the input itself): a var, an env
// variable, a control.set output, or the item of a fan-out whose foreach
// lists it.
func carried(u aimText, refs []carrier, input string) (string, bool) {
	for _, r := range refs {
		if !r.re.MatchString(u.text) {
			continue
		}
		if r.name == "inputs."+input {
			return "", true
		}
		return " (through " + r.name + ")", true
	}
	if u.foreach != nil && itemRef.MatchString(u.text) && readsAny(u.foreach, refs) {
		return " (through item: the step's foreach lists it)", true
	}
	return "", false
}

// carrier is a reference an expression may make to carry an input's value:
// the input itself, or a var or env variable computed from it.
type carrier struct {
	name string // as an expression writes it: inputs.hook, vars.url
	re   *regexp.Regexp
}

// carriers are the references that carry input into an expression: the
// input, then each of the runbook root's vars and env variables, and each
// field of a control.set step's output, whose value reads it, directly or
// through another of them (a var built from a secret webhook, used as a
// notify url). A step's own env is not followed.
func carriers(root *yaml.Node, input string) []carrier {
	out := []carrier{{"inputs." + input, refPattern("inputs", input)}}
	type def struct {
		name  string
		re    *regexp.Regexp
		value *yaml.Node
	}
	var defs []def
	for _, scope := range []string{"vars", "env"} {
		m := mapValue(root, scope)
		if m == nil || m.Kind != yaml.MappingNode {
			continue
		}
		for i := 0; i+1 < len(m.Content); i += 2 {
			name := m.Content[i].Value
			defs = append(defs, def{scope + "." + name, refPattern(scope, name), m.Content[i+1]})
		}
	}
	// control.set gives on its with: map as its output, field by field.
	eachStep(root, func(step *yaml.Node) {
		id, with := scalar(mapValue(step, "id")), mapValue(step, "with")
		if scalar(mapValue(step, "op")) != "control.set" || id == "" || with == nil || with.Kind != yaml.MappingNode {
			return
		}
		for i := 0; i+1 < len(with.Content); i += 2 {
			field := with.Content[i].Value
			defs = append(defs, def{"steps." + id + ".output." + field, outputPattern(id, field), with.Content[i+1]})
		}
	})
	done := make([]bool, len(defs))
	for grew := true; grew; {
		grew = false
		for i, d := range defs {
			if done[i] || !readsAny(d.value, out) {
				continue
			}
			done[i], grew = true, true
			out = append(out, carrier{d.name, d.re})
		}
	}
	return out
}

// eachStep calls f with every mapping under n that has an op: the
// runbook's steps, in every list of them.
func eachStep(n *yaml.Node, f func(*yaml.Node)) {
	if n.Kind == yaml.MappingNode && mapValue(n, "op") != nil {
		f(n)
	}
	for _, c := range n.Content {
		eachStep(c, f)
	}
}

// outputPattern matches steps.id.output.field in expression text, each
// part as a field or an index (steps["id"].output["field"]), and the whole
// output (steps.id.output not followed by a field), which holds it.
func outputPattern(id, field string) *regexp.Regexp {
	part := func(name string) string {
		q := regexp.QuoteMeta(name)
		return `(\.\s*` + q + `\b|\[\s*["']` + q + `["']\s*\])`
	}
	return regexp.MustCompile(`\bsteps\s*` + part(id) + `\s*` + part("output") + `(\s*` + part(field) + `|\s*($|[^\s.\[]))`)
}

// readsAny reports whether a string under n makes one of refs.
func readsAny(n *yaml.Node, refs []carrier) bool {
	found := false
	eachString(n, func(s *yaml.Node) {
		for _, r := range refs {
			found = found || r.re.MatchString(s.Value)
		}
	})
	return found
}

// refPattern matches scope.name and scope["name"] in expression text.
func refPattern(scope, name string) *regexp.Regexp {
	q := regexp.QuoteMeta(name)
	return regexp.MustCompile(`\b` + scope + `\s*(\.\s*` + q + `\b|\[\s*["']` + q + `["']\s*\])`)
}

// aimText is one string of a runbook's address param, with the foreach
// of its step, if any.
type aimText struct {
	aimUse
	text    string
	foreach *yaml.Node
}

// aimUses lists the strings of the runbook root's params that name where
// an operation of reg connects: those of steps (with op and with, at any
// depth) and of notify entries (webhook and email).
func aimUses(reg *ops.Registry, root *yaml.Node) []aimText {
	var out []aimText
	add := func(op string, with, foreach *yaml.Node, where, step string) {
		e, err := reg.Get(op)
		if err != nil || with == nil || with.Kind != yaml.MappingNode {
			return
		}
		for i := 0; i+1 < len(with.Content); i += 2 {
			p := e.Spec.Param(with.Content[i].Value)
			if p == nil || p.Target == ops.TargetNone || p.Target == ops.TargetLookup {
				continue
			}
			eachString(with.Content[i+1], func(n *yaml.Node) {
				out = append(out, aimText{aimUse{op, p.Name, where, step, n.Line, n.Column}, n.Value, foreach})
			})
		}
	}
	var walk func(n *yaml.Node)
	walk = func(n *yaml.Node) {
		if n.Kind == yaml.MappingNode {
			if op, with := mapValue(n, "op"), mapValue(n, "with"); op != nil && op.Kind == yaml.ScalarNode {
				id := scalar(mapValue(n, "id"))
				add(op.Value, with, mapValue(n, "foreach"), "step "+id, id)
			}
		}
		for _, c := range n.Content {
			walk(c)
		}
	}
	for i := 0; i+1 < len(root.Content); i += 2 {
		if root.Content[i].Value != "notify" {
			walk(root.Content[i+1])
			continue
		}
		for j, entry := range root.Content[i+1].Content {
			id := scalar(mapValue(entry, "id"))
			if id == "" {
				id = fmt.Sprintf("notify_%d", j+1)
			}
			add("notify.webhook", mapValue(entry, "webhook"), nil, "notify entry "+id, id)
			add("notify.email", mapValue(entry, "email"), nil, "notify entry "+id, id)
		}
	}
	return out
}

// mapValue is the value of key in mapping n, or nil.
func mapValue(n *yaml.Node, key string) *yaml.Node {
	if n == nil || n.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			return n.Content[i+1]
		}
	}
	return nil
}

func scalar(n *yaml.Node) string {
	if n == nil || n.Kind != yaml.ScalarNode {
		return ""
	}
	return n.Value
}

// eachString calls f with every scalar under n.
func eachString(n *yaml.Node, f func(*yaml.Node)) {
	if n.Kind == yaml.ScalarNode {
		f(n)
		return
	}
	for _, c := range n.Content {
		eachString(c, f)
	}
}
