package exprsafe

import (
	"context"
	"strconv"

	"github.com/expr-lang/expr/ast"
)

// An expression's value may be made of a secret it read (upper(token),
// toBase64(user + ":" + token), split(token, "-")[1]): a different text,
// which masking the secret does not find. DataReads tells which of the
// names an expression reads its value may be made of, so that the run can
// mask the value too when one of them holds a secret.

// Flow is what the value of an expression may be made of: the paths
// (inputs.token, steps.get.output.body) of what flows into it through
// operators, functions, lists, maps and a conditional's branches. What
// only decides (a condition, a comparison, a predicate that filters, an
// index) is left out, as is what a boolean or a number is made of. A path
// stops at the first member not written as a name or a number
// (steps[id].output reads steps whole). Of a list or a map the
// expression writes out, Items and Keys tell each item's and value's
// own, so that a secret among them does not count for the others.
type Flow struct {
	Reads [][]string
	Items []*Flow
	Keys  map[string]*Flow
}

// DataFlow returns the Flow of the expression tree n, nil when its value
// is made of nothing it reads or is what it reads as it is (inputs.token,
// steps.get.output.body): no new text.
func DataFlow(n ast.Node) *Flow {
	f := &Flow{}
	switch x := n.(type) {
	case *ast.IdentifierNode:
		return nil
	case *ast.MemberNode:
		if _, ok := memberPath(x); ok {
			return nil
		}
	case *ast.ArrayNode:
		f.Items = make([]*Flow, len(x.Nodes))
		for i, it := range x.Nodes {
			f.Items[i] = DataFlow(it)
		}
	case *ast.MapNode:
		f.Keys = make(map[string]*Flow, len(x.Pairs))
		for _, it := range x.Pairs {
			p, ok := it.(*ast.PairNode)
			k, isName := p.Key.(*ast.StringNode)
			if !ok || !isName {
				f.Keys = nil
				break
			}
			f.Keys[k.Value] = DataFlow(p.Value)
		}
	}
	dataReads(n, &f.Reads)
	if len(f.Reads) == 0 {
		return nil
	}
	return f
}

// decidingOps are the operators whose value is true or false, however
// their operands were made.
var decidingOps = map[string]bool{
	"==": true, "!=": true, "<": true, ">": true, "<=": true, ">=": true,
	"&&": true, "||": true, "and": true, "or": true, "in": true, "not in": true,
	"contains": true, "startsWith": true, "endsWith": true, "matches": true,
}

// filterBuiltins give items of their first argument, chosen by a
// predicate; countBuiltins give a boolean or a number, or (keys) the
// names of a map, which name what its values are: a secret map's keys
// are not masked, nor are they when an expression lists them.
var (
	filterBuiltins = map[string]bool{"filter": true, "find": true, "findLast": true, "sortBy": true, "groupBy": true, "uniq": true}
	countBuiltins  = map[string]bool{"all": true, "any": true, "none": true, "one": true, "count": true, "findIndex": true, "findLastIndex": true, "len": true, "keys": true}
)

func dataReads(n ast.Node, out *[][]string) {
	switch x := n.(type) {
	case nil:
	case *ast.IdentifierNode:
		*out = append(*out, []string{x.Value})
	case *ast.MemberNode:
		if p, ok := memberPath(x); ok {
			*out = append(*out, p)
			return
		}
		dataReads(x.Node, out)
	case *ast.ChainNode:
		dataReads(x.Node, out)
	case *ast.SliceNode:
		dataReads(x.Node, out)
	case *ast.UnaryNode:
		if x.Operator != "!" && x.Operator != "not" {
			dataReads(x.Node, out)
		}
	case *ast.BinaryNode:
		if !decidingOps[x.Operator] {
			dataReads(x.Left, out)
			dataReads(x.Right, out)
		}
	case *ast.ConditionalNode:
		dataReads(x.Exp1, out)
		dataReads(x.Exp2, out)
	case *ast.BuiltinNode:
		switch {
		case countBuiltins[x.Name]:
		case filterBuiltins[x.Name] && len(x.Arguments) > 0:
			dataReads(x.Arguments[0], out)
		default:
			for _, a := range x.Arguments {
				dataReads(a, out)
			}
			dataReads(x.Map, out)
		}
	case *ast.CallNode:
		for _, a := range x.Arguments {
			dataReads(a, out)
		}
	case *ast.PredicateNode:
		dataReads(x.Node, out)
	case *ast.VariableDeclaratorNode:
		dataReads(x.Value, out)
		dataReads(x.Expr, out)
	case *ast.SequenceNode:
		for _, it := range x.Nodes {
			dataReads(it, out)
		}
	case *ast.ArrayNode:
		for _, it := range x.Nodes {
			dataReads(it, out)
		}
	case *ast.MapNode:
		for _, it := range x.Pairs {
			dataReads(it, out)
		}
	case *ast.PairNode:
		dataReads(x.Value, out)
	}
}

// memberPath returns the path of a member access made of names and
// numbers alone (inputs.token, steps.a.output.list[0]).
func memberPath(m *ast.MemberNode) ([]string, bool) {
	var key string
	switch p := m.Property.(type) {
	case *ast.StringNode:
		key = p.Value
	case *ast.IntegerNode:
		key = strconv.Itoa(p.Value)
	default:
		return nil, false
	}
	var head []string
	switch b := m.Node.(type) {
	case *ast.IdentifierNode:
		head = []string{b.Value}
	case *ast.MemberNode:
		h, ok := memberPath(b)
		if !ok {
			return nil, false
		}
		head = h
	case *ast.ChainNode:
		if mb, ok := b.Node.(*ast.MemberNode); ok {
			h, ok := memberPath(mb)
			if !ok {
				return nil, false
			}
			head = h
		} else {
			return nil, false
		}
	default:
		return nil, false
	}
	return append(head, key), true
}

// SecretsIn returns the SecretHolder ctx was given by WithSecrets, or nil.
func SecretsIn(ctx context.Context) SecretHolder {
	if ctx == nil {
		return nil
	}
	h, _ := ctx.Value(secretsKey{}).(SecretHolder)
	return h
}
