package yamlx

import (
	"fmt"
	"slices"
	"sort"

	"go.yaml.in/yaml/v3"
)

// A value written once under an anchor (&base) and used by several
// owners through aliases (*base, <<: *base) is one place in the file, so
// a problem in it is reported there, at the anchor. When the problem
// belongs to one use (an `item` read by a step that has no foreach, a
// parameter another op does not take), the anchor alone does not say
// which owner is wrong. Within names it: while it is in force, a problem
// reported at a position that the owner reaches only through an alias
// starts with "in step b, through *base at line 9, column 7: ".

// useCtx is one owner in force: a list of steps, a step, a rescue step
// inside it.
type useCtx struct {
	owner *yaml.Node
	what  func() string
}

// useSite is a node an owner reaches through an alias, and the alias
// written in the owner's own text that leads to it.
type useSite struct {
	pos   Pos
	alias *yaml.Node
}

// Within makes the problems reported until restore is called name the
// alias through which owner reaches them, and what owner is (what is
// called only when a problem needs it). Owners nest: a rescue step
// within its step. Problems at positions in the owner's own text are
// left as they are.
func (d *Diags) Within(owner *yaml.Node, what func() string) (restore func()) {
	if owner == nil {
		return func() {}
	}
	n := len(d.within)
	d.within = append(d.within, useCtx{owner, what})
	return func() { d.within = d.within[:n] }
}

// Owners are the owners in force at one time, innermost last, for
// checks made later than the owner is read (see WithinAll).
type Owners []useCtx

// Owners returns the owners in force now.
func (d *Diags) Owners() Owners { return slices.Clone(Owners(d.within)) }

// WithinAll puts the owners back in force until restore is called.
func (d *Diags) WithinAll(o Owners) (restore func()) {
	n := len(d.within)
	d.within = append(d.within, o...)
	return func() { d.within = d.within[:n] }
}

// useNote says through which alias the innermost owner in force reaches
// p, or "" when p is in its own text (or no owner is in force).
func (d *Diags) useNote(p Pos) string {
	if len(d.within) == 0 {
		return ""
	}
	// A rescue step written inside an anchor is reached through the
	// alias of the step around it: look outwards.
	for i := len(d.within) - 1; i >= 0; i-- {
		if a := d.aliasTo(d.within[i].owner, p); a != nil {
			return fmt.Sprintf("in %s, through *%s at line %d, column %d", d.within[len(d.within)-1].what(), a.Value, a.Line, a.Column)
		}
	}
	return ""
}

// aliasTo returns the alias in owner's own text through which owner
// reaches p, or nil when p is in owner's own text (or is an alias's own
// position). An anchor is always written before its aliases, and never
// around them, so a position before the owner's start that the owner
// reaches is one of an anchor.
func (d *Diags) aliasTo(owner *yaml.Node, p Pos) *yaml.Node {
	if !before(p, PosOf(owner)) {
		return nil
	}
	sites, ok := d.sites[owner]
	if !ok {
		sites = aliasSites(owner)
		if d.sites == nil {
			d.sites = map[*yaml.Node][]useSite{}
		}
		d.sites[owner] = sites
	}
	// The last node reached through an alias that starts at or before p
	// is the one p is in.
	i := sort.Search(len(sites), func(i int) bool { return before(p, sites[i].pos) })
	if i == 0 {
		return nil
	}
	return sites[i-1].alias
}

// aliasSites lists the nodes owner reaches through aliases, sorted by
// position, each with the outermost alias that leads to it. Parse has
// bounded what aliases expand to, so the walk is bounded too.
func aliasSites(owner *yaml.Node) []useSite {
	var out []useSite
	var walk func(n, via *yaml.Node)
	walk = func(n, via *yaml.Node) {
		if n == nil {
			return
		}
		if n.Kind == yaml.AliasNode {
			if via == nil {
				via = n
			}
			walk(n.Alias, via)
			return
		}
		if via != nil {
			out = append(out, useSite{PosOf(n), via})
		}
		for _, c := range n.Content {
			walk(c, via)
		}
	}
	walk(owner, nil)
	sort.SliceStable(out, func(i, j int) bool { return before(out[i].pos, out[j].pos) })
	return out
}

func before(a, b Pos) bool {
	return a.Line < b.Line || (a.Line == b.Line && a.Col < b.Col)
}
