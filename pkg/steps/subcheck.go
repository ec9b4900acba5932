package steps

import (
	"fmt"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/arsenal-run/arsenal-run/internal/suggest"
	"github.com/arsenal-run/arsenal-run/internal/yamlx"
)

// subOutputs are the outputs the sub-playbook of a playbook.run step
// declares, known when its path is literal and it loads.
type subOutputs struct {
	path  string // as written in the step
	names []string
	pb    *Playbook
}

// SubPlaybook is the playbook a playbook.run step runs, when it is known
// at load: its path is literal, inside the calling playbook's tree, and
// it loads. nil otherwise.
func (s *Step) SubPlaybook() *Playbook {
	if s.sub == nil {
		return nil
	}
	return s.sub.pb
}

// checkSubOutput checks steps.<id>.output.outputs.<name> against the
// outputs the sub-playbook of step t declares; self is set for
// output.outputs.<name> in t's own retry or repeat. A step whose
// sub-playbook is not known (a path given by an expression, outside the
// playbook's tree, or that does not load) is not checked. Of a foreach
// step, steps.<id>.output is a list, whose fields checkOutputField
// refuses; what is checked is one item's output (r.item), each a sub-run
// of the same playbook, or the step's own in its retry or repeat.
func (l *loader) checkSubOutput(t *Step, self bool, r ref, pos Pos) {
	if t == nil || t.sub == nil || t.Op != SubPlaybookOp || slices.Contains(t.sub.names, r.field) {
		return
	}
	if !self && r.item != t.fanout {
		return
	}
	if len(t.sub.names) == 0 {
		l.d.Add(pos, "step %s runs %s, which declares no outputs, so it has no output %q; declare it under outputs: in %s", t.ID, t.sub.path, r.field, t.sub.path)
		return
	}
	l.d.Add(pos, "step %s runs %s, which has no output %q%s; it declares %s", t.ID, t.sub.path, r.field, suggest.DidYouMean(r.field, t.sub.names), strings.Join(t.sub.names, ", "))
}

// checkSubInputs checks the inputs a playbook.run step passes (node inN,
// nil when absent) against those sub declares. Values that hold an
// expression are checked when the step runs.
func (l *loader) checkSubInputs(sub *Playbook, pathN, inN *yaml.Node) {
	path := pathN.Value
	given := map[string]bool{}
	at := yamlx.PosOf(pathN)
	if inN != nil {
		in := yamlx.Deref(inN)
		at = yamlx.PosOf(in)
		if in.Kind != yaml.MappingNode {
			return // an expression giving the whole map, or a problem already reported
		}
		pairs, _ := yamlx.Pairs(in, "inputs", &yamlx.Diags{})
		for _, p := range pairs {
			given[p.Key] = true
			decl := sub.Input(p.Key)
			if decl == nil {
				l.d.Add(yamlx.PosOf(p.K), "%s: %s", SubPlaybookOp, unknownSubInput(path, sub, p.Key))
				continue
			}
			if hasExpr(p.V) {
				continue
			}
			if _, err := decl.Coerce(yamlx.Plain(p.V, &yamlx.Diags{})); err != nil {
				msg := err.Error()
				if decl.Secret {
					// The message may quote the value.
					msg = decl.SecretMismatch()
				}
				l.d.Add(yamlx.PosOf(yamlx.Deref(p.V)), "%s: input %s of %s: %s", SubPlaybookOp, p.Key, path, msg)
			}
		}
	}
	for _, decl := range sub.Inputs {
		if decl.Required && decl.Env == "" && !given[decl.Name] {
			l.d.Add(at, "%s: %s requires input %s (%s); add it under inputs", SubPlaybookOp, path, decl.Name, decl.Type)
		}
	}
}

func unknownSubInput(path string, sub *Playbook, name string) string {
	if len(sub.Inputs) == 0 {
		return fmt.Sprintf("%s declares no inputs; remove %q", path, name)
	}
	names := make([]string, len(sub.Inputs))
	for i, in := range sub.Inputs {
		names[i] = in.Name
	}
	return fmt.Sprintf("%s has no input %q%s; it declares %s", path, name, suggest.DidYouMean(name, names), strings.Join(names, ", "))
}

// hasExpr reports whether a value holds ${{ }} anywhere. The tree was
// bounded when it was parsed.
func hasExpr(n *yaml.Node) bool {
	n = yamlx.Deref(n)
	if n.Kind == yaml.ScalarNode {
		return strings.Contains(n.Value, "${{")
	}
	for _, c := range n.Content {
		if hasExpr(c) {
			return true
		}
	}
	return false
}
