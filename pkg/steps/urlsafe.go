package steps

// What an expression in a URL's path or query can give without escaping:
// text that cannot change the URL's shape.

import (
	"net/url"
	"reflect"
	"regexp/syntax"
	"unicode"

	"github.com/expr-lang/expr/ast"
	"github.com/expr-lang/expr/parser"
)

// maxSafeDepth bounds how many vars defined by an expression urlSafe
// follows, one reading the next.
const maxSafeDepth = 8

// urlSafe is whether n, in step s, gives text that is escaped for a URL
// place by fn, or cannot change it: a literal, a call of fn, a number or
// a bool (see scalarNode), an input whose enum values need no escaping or
// whose pattern admits only such text, a var written as such a value
// (vars: {api: v2}), the item of a foreach over a literal list of such
// values, and the choices of ?: and ?? among those.
func (l *loader) urlSafe(n ast.Node, fn string, s *Step) bool {
	return l.urlSafeAt(n, fn, s, 0)
}

func (l *loader) urlSafeAt(n ast.Node, fn string, s *Step, depth int) bool {
	if l.scalarNode(n, s, depth) {
		return true
	}
	switch x := n.(type) {
	case *ast.StringNode:
		return true
	case *ast.BuiltinNode:
		return x.Name == "string" && len(x.Arguments) == 1 && l.scalarNode(x.Arguments[0], s, depth)
	case *ast.CallNode:
		return isIdent(x.Callee, fn)
	case *ast.ConditionalNode:
		return l.urlSafeAt(x.Exp1, fn, s, depth) && l.urlSafeAt(x.Exp2, fn, s, depth)
	case *ast.BinaryNode:
		return x.Operator == "??" && l.urlSafeAt(x.Left, fn, s, depth) && l.urlSafeAt(x.Right, fn, s, depth)
	case *ast.IdentifierNode:
		return x.Value == EnvItem && foreachPlain(s, "")
	case *ast.MemberNode:
		name, ok := x.Property.(*ast.StringNode)
		if !ok {
			return false
		}
		if isIdent(x.Node, EnvItem) {
			return foreachPlain(s, name.Value)
		}
		base, ok := x.Node.(*ast.IdentifierNode)
		if !ok {
			return false
		}
		switch base.Value {
		case EnvVars:
			v := l.varValue(name.Value)
			if v != nil && v.Kind == KindExpr && v.Expr != nil && depth < maxSafeDepth {
				tree, err := parser.Parse(v.Expr.Source)
				return err == nil && l.urlSafeAt(tree.Node, fn, nil, depth+1)
			}
			return v != nil && v.Kind == KindLiteral && plainInURL(v.Lit)
		case EnvInputs:
			in := l.pb.Input(name.Value)
			return in != nil && inputPlain(in)
		}
	}
	return false
}

func (l *loader) varValue(name string) *Value {
	for _, v := range l.pb.Vars {
		if v.Name == name {
			return v.Value
		}
	}
	return nil
}

// inputPlain is whether every value the input may take is plain in a
// URL: the values of its enum, or the text its pattern admits.
func inputPlain(in *Input) bool {
	if len(in.Enum) > 0 {
		for _, e := range in.Enum {
			if !plainInURL(e) {
				return false
			}
		}
		return true
	}
	return in.re != nil && patternPlain(in.Pattern) && !in.re.MatchString("") && !in.re.MatchString(".") && !in.re.MatchString("..")
}

// patternPlain is whether every string the RE2 expression p matches is
// made of characters that need no escaping in a URL (letters, digits and
// - . _ ~).
func patternPlain(p string) bool {
	re, err := syntax.Parse(p, syntax.Perl)
	if err != nil {
		return false
	}
	return rePlain(re)
}

func rePlain(re *syntax.Regexp) bool {
	switch re.Op {
	case syntax.OpNoMatch, syntax.OpEmptyMatch, syntax.OpBeginLine, syntax.OpEndLine,
		syntax.OpBeginText, syntax.OpEndText, syntax.OpWordBoundary, syntax.OpNoWordBoundary:
		return true
	case syntax.OpLiteral:
		for _, r := range re.Rune {
			if !runePlain(r) {
				return false
			}
			// (?i)k also matches the Kelvin sign, (?i)s the long s.
			for f := unicode.SimpleFold(r); re.Flags&syntax.FoldCase != 0 && f != r; f = unicode.SimpleFold(f) {
				if !runePlain(f) {
					return false
				}
			}
		}
		return true
	case syntax.OpCharClass:
		for i := 0; i+1 < len(re.Rune); i += 2 {
			if re.Rune[i+1] > unicode.MaxASCII {
				return false
			}
			for r := re.Rune[i]; r <= re.Rune[i+1]; r++ {
				if !runePlain(r) {
					return false
				}
			}
		}
		return true
	case syntax.OpCapture, syntax.OpStar, syntax.OpPlus, syntax.OpQuest, syntax.OpRepeat,
		syntax.OpConcat, syntax.OpAlternate:
		for _, sub := range re.Sub {
			if !rePlain(sub) {
				return false
			}
		}
		return true
	}
	return false
}

func runePlain(r rune) bool {
	s := string(r)
	return r <= unicode.MaxASCII && url.PathEscape(s) == s && url.QueryEscape(s) == s
}

// foreachPlain is whether the item of step s (or, with key, the value
// under key of each item) is plain in a URL for every item: s's foreach
// is a literal list of such values.
func foreachPlain(s *Step, key string) bool {
	if s == nil || s.Foreach == nil {
		return false
	}
	tree, err := parser.Parse(s.Foreach.Source)
	if err != nil {
		return false
	}
	list, ok := tree.Node.(*ast.ArrayNode)
	if !ok || len(list.Nodes) == 0 {
		return false
	}
	for _, it := range list.Nodes {
		if key != "" {
			it = mapEntry(it, key)
		}
		if !literalPlain(it) {
			return false
		}
	}
	return true
}

// mapEntry is the value under key of the literal map n, or nil.
func mapEntry(n ast.Node, key string) ast.Node {
	m, ok := n.(*ast.MapNode)
	if !ok {
		return nil
	}
	for _, p := range m.Pairs {
		pair, ok := p.(*ast.PairNode)
		if !ok {
			continue
		}
		if k, ok := pair.Key.(*ast.StringNode); ok && k.Value == key {
			return pair.Value
		}
	}
	return nil
}

// literalPlain is whether n is a literal that is plain in a URL.
func literalPlain(n ast.Node) bool {
	switch x := n.(type) {
	case *ast.StringNode:
		return plainInURL(x.Value)
	case *ast.IntegerNode, *ast.FloatNode, *ast.BoolNode:
		return true
	case *ast.UnaryNode:
		return x.Operator == "-" && literalPlain(x.Node)
	}
	return false
}

// plainInURL is whether the value v, written in a URL, is the same
// escaped or not, in a path segment as in a query value: a string that
// needs no escaping and is no . or .. segment, or a scalar that is no
// string (a number, a bool); a list or a map is written as JSON.
func plainInURL(v any) bool {
	if s, ok := v.(string); ok {
		return s != "" && s != "." && s != ".." && url.PathEscape(s) == s && url.QueryEscape(s) == s
	}
	switch reflect.ValueOf(v).Kind() {
	case reflect.Slice, reflect.Array, reflect.Map, reflect.Struct:
		return false
	}
	return true
}

// scalarNode is whether n gives a number or a bool (or nothing), which
// is written in a URL as it is: a literal, an input or var of such a type,
// a field an operation declares as one, a foreach index, a comparison, a
// count, and arithmetic on such values.
func (l *loader) scalarNode(n ast.Node, s *Step, depth int) bool {
	switch x := n.(type) {
	case *ast.IntegerNode, *ast.FloatNode, *ast.BoolNode, *ast.NilNode:
		return true
	case *ast.IdentifierNode:
		return x.Value == EnvIndex && s != nil && s.FanOut()
	case *ast.UnaryNode:
		return x.Operator == "!" || x.Operator == "not" || l.scalarNode(x.Node, s, depth)
	case *ast.BinaryNode:
		switch x.Operator {
		case "==", "!=", "<", ">", "<=", ">=", "and", "or", "&&", "||", "in", "not in",
			"matches", "contains", "startsWith", "endsWith":
			return true
		case "+", "-", "*", "/", "%", "**", "^", "??":
			return l.scalarNode(x.Left, s, depth) && l.scalarNode(x.Right, s, depth)
		}
	case *ast.ConditionalNode:
		return l.scalarNode(x.Exp1, s, depth) && l.scalarNode(x.Exp2, s, depth)
	case *ast.BuiltinNode:
		switch x.Name {
		case "len", "int", "float", "abs", "round", "ceil", "floor", "count":
			return true
		}
	case *ast.MemberNode:
		return l.scalarMember(x, s, depth)
	}
	return false
}

// scalarTypes are the input, var and output types scalarNode takes.
var scalarTypes = map[string]bool{"integer": true, "number": true, "float": true, "bool": true}

func (l *loader) scalarMember(x *ast.MemberNode, s *Step, depth int) bool {
	name, ok := x.Property.(*ast.StringNode)
	if !ok {
		return false
	}
	if base, ok := x.Node.(*ast.IdentifierNode); ok {
		switch base.Value {
		case EnvInputs:
			in := l.pb.Input(name.Value)
			return in != nil && scalarTypes[string(in.Type)]
		case EnvVars:
			v := l.varValue(name.Value)
			if v != nil && v.Kind == KindExpr && v.Expr != nil && depth < maxSafeDepth {
				tree, err := parser.Parse(v.Expr.Source)
				return err == nil && l.scalarNode(tree.Node, nil, depth+1)
			}
			if v != nil && v.Kind == KindLiteral {
				switch v.Lit.(type) {
				case int, float64, bool:
					return true
				}
			}
		}
		return false
	}
	// steps.<id>.output.<field>, of an operation that declares the field
	// a number or a bool. A plugin's declaration is its author's word,
	// not checked, so it is not taken.
	out, ok := x.Node.(*ast.MemberNode)
	if !ok || !isProp(out, "output") {
		return false
	}
	st, ok := out.Node.(*ast.MemberNode)
	if !ok || !isIdent(st.Node, EnvSteps) {
		return false
	}
	id, ok := st.Property.(*ast.StringNode)
	if !ok {
		return false
	}
	t := l.ids[id.Value]
	if t == nil || t.Entry == nil || t.Op == setOp || t.FanOut() || t.Entry.Spec.Unsandboxed {
		return false
	}
	for _, f := range t.Entry.Spec.Output {
		if f.Name == name.Value {
			return scalarTypes[f.Type]
		}
	}
	return false
}

func isProp(m *ast.MemberNode, name string) bool {
	p, ok := m.Property.(*ast.StringNode)
	return ok && p.Value == name
}
