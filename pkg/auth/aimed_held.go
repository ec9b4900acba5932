package auth

import (
	"regexp"
	"strings"

	"go.yaml.in/yaml/v3"
)

// envRead matches env.NAME and env["NAME"] in expression text, and any
// other reading of env as env read whole (NAME empty): toJSON(env), and
// an index the text does not fix, like env[inputs.name] or env[#], which
// may name any variable.
var envRead = regexp.MustCompile(`(?:^|[^.\w$])env\b\s*(?:\.\s*([A-Za-z_]\w*)|\[\s*["']([^"']+)["']\s*\]|)`)

// bareExprKeys are the keys whose values are expressions without ${{ }}.
var bareExprKeys = map[string]bool{"when": true, "foreach": true, "until": true}

// collect adds to w.found the secrets a run of d holds besides its inputs
// and those d passes down, then those of the sub-playbooks d runs: the env
// variables its expressions read (none in a confined one, whose env holds
// no variable of the host's), the steps whose operation declares
// secret outputs, and each sub-playbook's secret inputs the step that
// runs it does not pass. Each file is read once.
func (w *aimWalk) collect(d aimDoc) {
	if w.held[d.abs] {
		return
	}
	w.held[d.abs] = true
	seen := map[string]bool{}
	if !d.confined { // a confined one reads its env files' variables alone
		eachExpr(d.root, func(n *yaml.Node, text string) {
			for _, m := range envRead.FindAllStringSubmatch(text, -1) {
				name := m[1] + m[2]
				if !seen[name] {
					seen[name] = true
					w.found = append(w.found, Held{Kind: "env", Name: name, File: d.rel, Line: n.Line, Col: n.Column})
				}
			}
		})
	}
	eachStep(d.root, func(step *yaml.Node) {
		op := mapValue(step, "op")
		e, err := w.reg.Get(scalar(op))
		if err == nil && len(e.Spec.SecretOutputs) > 0 {
			w.found = append(w.found, Held{Kind: "output", Name: scalar(mapValue(step, "id")), Op: e.Spec.Name, File: d.rel, Line: op.Line, Col: op.Column})
		}
	})
	for _, c := range w.calls(d) {
		if c.unread != "" {
			why := "its path is an expression"
			if c.child.abs != "" {
				why = c.child.rel + " does not read as a playbook now"
			}
			w.found = append(w.found, Held{Kind: "unread", Name: c.id, Op: why, File: d.rel, Line: c.path.Line, Col: c.path.Column})
			continue
		}
		if c.child.root == nil {
			continue
		}
		w.subInputs(c)
		w.collect(c.child)
	}
}

// subInputs adds the secret inputs of c's sub-playbook that c does not
// pass, each once.
func (w *aimWalk) subInputs(c subCall) {
	ins := mapValue(c.child.root, "inputs")
	if ins == nil || ins.Kind != yaml.MappingNode {
		return
	}
	for i := 0; i+1 < len(ins.Content); i += 2 {
		k, v := ins.Content[i], ins.Content[i+1]
		var secret bool
		if s := mapValue(v, "secret"); s == nil || s.Decode(&secret) != nil || !secret || mapValue(c.inputs, k.Value) != nil {
			continue
		}
		key := c.child.abs + "\x00" + k.Value
		if w.held[key] {
			continue
		}
		w.held[key] = true
		env := scalar(mapValue(v, "env")) + scalar(mapValue(v, "from_env"))
		if c.child.confined {
			env = "" // read from its env files alone
		}
		def := mapValue(v, "default")
		filled := mapValue(v, "from_file") != nil || def != nil && !(def.Kind == yaml.ScalarNode && (def.Value == "" || def.Tag == "!!null"))
		w.found = append(w.found, Held{Kind: "input", Name: k.Value, Env: env, Filled: filled, File: c.child.rel, Line: k.Line, Col: k.Column})
	}
}

// eachExpr calls f with each expression text under n and its node: the
// ${{ }} of a string, and the values of when, foreach and until.
func eachExpr(n *yaml.Node, f func(*yaml.Node, string)) {
	switch n.Kind {
	case yaml.ScalarNode:
		s := n.Value
		for {
			i := strings.Index(s, "${{")
			if i < 0 {
				return
			}
			s = s[i+3:]
			j := strings.Index(s, "}}")
			if j < 0 {
				f(n, s)
				return
			}
			f(n, s[:j])
			s = s[j+2:]
		}
	case yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			if v := n.Content[i+1]; bareExprKeys[n.Content[i].Value] && v.Kind == yaml.ScalarNode {
				f(v, v.Value)
			} else {
				eachExpr(v, f)
			}
		}
	default:
		for _, c := range n.Content {
			eachExpr(c, f)
		}
	}
}
