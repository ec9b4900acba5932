package steps

// Warning of ${{ }} written bare into the path or query of a URL
// parameter, where a value holding / ? # & or % changes the request.

import (
	"fmt"
	"reflect"
	"strings"

	"github.com/expr-lang/expr/ast"
	"github.com/expr-lang/expr/parser"

	"github.com/arsenal-run/arsenal-run/internal/exprsafe"
	"github.com/arsenal-run/arsenal-run/pkg/ops"
)

// Where in a URL an expression of a template sits.
const (
	urlPath  = "path"
	urlQuery = "query"
)

// markURLParts records, for the expressions of v (a URL parameter) that
// sit in the URL's path or query, which of them, for checkURLPlace.
// pending[from:] are the expressions v holds. An expression before the
// URL's path (its scheme and host, or a base URL) is left alone.
func (l *loader) markURLParts(v *Value, s *Step, param string, from int) {
	places := urlPlaces(v.Parts)
	if len(places) == 0 {
		return
	}
	for _, pe := range l.pending[from:] {
		if p := places[pe.e]; p != "" {
			pe.url = &urlWant{place: p, step: s, param: param}
		}
	}
}

// urlWant is where an expression sits in a URL parameter.
type urlWant struct {
	place string // urlPath or urlQuery
	step  *Step
	param string // the parameter, or list.key for a URL in its items
}

// markURLs marks the expressions of v, the value of parameter p of step
// s, that sit in the path or query of a URL. pending[from:] are the
// expressions v holds. A secret URL (notify.webhook's) is a credential,
// given whole or in pieces that carry their own slashes, such as a chat
// webhook's T000/B000/XXX: escaping them would break it, so it is left
// alone.
func (l *loader) markURLs(v *Value, p *ops.Param, s *Step, from int) {
	if p.Secret {
		return
	}
	if p.Target == ops.TargetURL && v.Kind == KindTemplate {
		l.markURLParts(v, s, p.Name, from)
	}
	l.markURLItems(v, p, s, from)
}

// markURLItems marks the url of each node of a list parameter whose items
// are maps with a URL under key (cluster.* nodes).
func (l *loader) markURLItems(v *Value, p *ops.Param, s *Step, from int) {
	if v.Kind != KindList {
		return
	}
	for key, t := range p.ItemTargets {
		if t != ops.TargetURL {
			continue
		}
		for _, it := range v.Items {
			if it.Kind != KindMap {
				continue
			}
			for i, k := range it.Keys {
				if k == key && it.Items[i].Kind == KindTemplate {
					l.markURLParts(it.Items[i], s, p.Name+"[]."+key, from)
				}
			}
		}
	}
}

// urlPlaces reads the literal text of a URL template to tell which of its
// expressions sit in the path and which in the query. The path starts at
// the first / after the scheme's ://, or, when an expression comes first
// (a base URL), at the first / after it; the query at the ? after that;
// the fragment, which is never sent, at #.
func urlPlaces(parts []Part) map[*Expr]string {
	const (
		prefix = iota
		authority
		path
		query
		fragment
	)
	state, seenExpr := prefix, false
	out := map[*Expr]string{}
	for _, p := range parts {
		t := p.Text
		for i := 0; i < len(t); i++ {
			c := t[i]
			switch {
			case state == prefix && strings.HasPrefix(t[i:], "://"):
				state, i = authority, i+2
			case state == prefix && !seenExpr:
				// The scheme, as literal text.
			case state < path && c == '/':
				state = path
			case state < query && c == '?':
				state = query
			case state < fragment && c == '#':
				state = fragment
			}
		}
		if p.Expr == nil {
			continue
		}
		seenExpr = true
		switch state {
		case path:
			out[p.Expr] = urlPath
		case query:
			out[p.Expr] = urlQuery
		}
	}
	return out
}

// checkURLPlace warns of an expression in a URL's path or query that
// gives text not escaped by the function for its place; any other
// expression passes.
func (l *loader) checkURLPlace(pe *pendingExpr, c *compiled) {
	if pe.url == nil {
		return
	}
	switch c.kind {
	case reflect.Bool, reflect.Int, reflect.Int64, reflect.Float64:
		return
	}
	fn := exprsafe.URLPathEscape
	if pe.url.place == urlQuery {
		fn = exprsafe.URLQueryEscape
	}
	tree, err := parser.Parse(pe.e.Source)
	if err != nil || l.urlSafe(tree.Node, fn, pe.url.step) {
		return
	}
	src := strings.TrimSpace(pe.e.Source)
	what := "one path segment: a value holding / ? # or % changes the path, and .. reaches another endpoint"
	other := exprsafe.URLQueryEscape
	if pe.url.place == urlQuery {
		what = "one query value: a value holding & = # or % adds parameters or changes the request"
		other = exprsafe.URLPathEscape
	}
	how, fix := "unescaped", fmt.Sprintf("%s(%s)", fn, src)
	if call, ok := tree.Node.(*ast.CallNode); ok && isIdent(call.Callee, other) {
		// The other place's function: urlPathEscape leaves & and = in a
		// query, urlQueryEscape writes a space in a path as +.
		how, fix = "escaped by "+other+", which is for a "+map[string]string{urlPath: "query value", urlQuery: "path segment"}[pe.url.place], strings.Replace(src, other, fn, 1)
	}
	alt := ""
	if e := pe.url.step.Entry; pe.url.place == urlQuery && e != nil && e.Spec.Param("query") != nil {
		alt = fmt.Sprintf(", or give the parameter under query: (%s takes it escaped)", pe.url.step.Op)
	}
	l.d.Warn(l.posAt(pe.node, pe.off), "${{ %s }} sits in the %s of %s's %s %s, so it is not sure to stay %s; write ${{ %s }}%s",
		shortSource(src, 60), pe.url.place, pe.url.step.Op, pe.url.param, how, what, shortSource(fix, 80), alt)
}

func isIdent(n ast.Node, name string) bool {
	id, ok := n.(*ast.IdentifierNode)
	return ok && id.Value == name
}
