package auth

import (
	"go.yaml.in/yaml/v3"

	"github.com/arsenal-run/arsenal-run/pkg/ops"
)

// AimedUse is where a playbook uses an input as the address an operation
// connects to: an http.request url, a notify webhook's url, an SMTP host,
// a net.tcp_check address.
type AimedUse struct {
	Op, Param string
	// Step is the id of the step (or notify entry) that connects;
	// Where names it for messages ("step call", "notify entry chat").
	Step, Where string
	// Via is what carried the input there, for messages: "" for the
	// input itself, or " (through vars.url)" and the like.
	Via       string
	Line, Col int // of the address text in the playbook file
}

// AimedInputs reads the playbook file's bytes data and returns, for each
// of names that it uses as the address an operation of reg connects to,
// its first such use: written there itself, or carried through the
// playbook's vars, env variables, a control.set step's output or the item
// of a fan-out, as the policy's check of a grant's free secrets follows
// them. A sub-playbook and another operation's output are not followed.
// Data that is no YAML mapping gives none.
func AimedInputs(reg *ops.Registry, data []byte, names []string) map[string]AimedUse {
	if reg == nil || len(names) == 0 {
		return nil
	}
	var doc yaml.Node
	if yaml.Unmarshal(data, &doc) != nil || len(doc.Content) == 0 || doc.Content[0].Kind != yaml.MappingNode {
		return nil
	}
	root := doc.Content[0]
	uses := aimUses(reg, root)
	if len(uses) == 0 {
		return nil
	}
	out := map[string]AimedUse{}
	for _, name := range names {
		refs := carriers(root, name)
		for _, u := range uses {
			if via, ok := carried(u, refs, name); ok {
				out[name] = AimedUse{Op: u.op, Param: u.param, Step: u.step, Where: u.where, Via: via, Line: u.line, Col: u.col}
				break
			}
		}
	}
	return out
}
