package steps

// inventory.hosts("group") in expressions.
//
// The run's inventory is in the expression environment as a map holding
// the file's name and the selections (see InventoryData), which give each
// name a selection may use (groups, hosts, "all", "tag:NAME") its hosts,
// each a map of name, address, port, user, tags, groups and vars.
// inventory.hosts(x) is rewritten, before type checking, into a call of a
// function with a known signature that looks x up there; the name
// inventory may not be used otherwise. A literal
// group name is checked against the inventory when one is known at load
// time (validate --inventory), and by the run service before a run starts.

import (
	"errors"
	"fmt"
	"reflect"
	"sync"

	"github.com/expr-lang/expr/ast"
	"github.com/expr-lang/expr/builtin"
	"github.com/expr-lang/expr/conf"

	"github.com/arsenal-run/arsenal-run/pkg/inventory"
	"github.com/arsenal-run/arsenal-run/pkg/ops"
)

// EnvInventory is the name of the inventory in expressions, read only as
// inventory.hosts("name").
const EnvInventory = "inventory"

// inventoryFunc is the function inventory.hosts(x) compiles to. Its name
// cannot be written in an expression: only the rewrite produces it.
const inventoryFunc = "inventory.hosts"

// InventoryRef is a call of inventory.hosts in a playbook, or a step's
// literal host parameter.
type InventoryRef struct {
	// Name is the literal group, host or tag:NAME given; "" when the
	// argument is computed.
	Name string
	Pos  Pos
	// Host marks the literal host parameter of a step acting on a remote
	// host (ssh.*): Name is an inventory host or an address.
	Host bool
}

// hostTarget is an operation that acts on the remote host its HostParam
// names (remote.HostTarget).
type hostTarget interface{ HostParam() string }

// LoadOption changes what Load and Parse check.
type LoadOption func(*subLoads)

// WithInventory checks every inventory.hosts("name") whose name is literal
// against inv: an unknown name is a diagnostic at the name. Without it the
// names are checked when a run starts with an inventory.
func WithInventory(inv *inventory.Inventory) LoadOption {
	return func(s *subLoads) { s.inv = inv }
}

// CheckInventory checks the playbook's inventory.hosts calls against the
// inventory a run will use: every literal name must select hosts, and a
// playbook that calls inventory.hosts at all needs an inventory. Problems
// come back as Diagnostics.
func (p *Playbook) CheckInventory(inv *inventory.Inventory) error {
	d := Diagnostics{}
	for _, r := range p.Inventory {
		if msg := checkInventoryRef(inv, r); msg != "" {
			d = append(d, &Diagnostic{File: p.File, Pos: r.Pos, Msg: msg})
		}
	}
	if len(d) == 0 {
		return nil
	}
	return d
}

// checkInventoryRef says what is wrong with r under inv, or "". A literal
// host must be one the run could reach: an inventory host, or an address
// (a bare name the inventory lacks would fail the step after the steps
// before it ran).
func checkInventoryRef(inv *inventory.Inventory, r InventoryRef) string {
	if !r.Host {
		return checkInventoryName(inv, r.Name)
	}
	if _, err := inv.Resolve(r.Name); err != nil {
		return err.Error()
	}
	return ""
}

// checkInventoryName says what is wrong with inventory.hosts(name) under
// inv, or "".
func checkInventoryName(inv *inventory.Inventory, name string) string {
	if inv == nil {
		return "inventory.hosts needs an inventory: give one with --inventory FILE"
	}
	if name == "" {
		return ""
	}
	if _, err := inv.Hosts(name); err != nil {
		return "inventory.hosts: " + err.Error()
	}
	return ""
}

// inventoryRef records a call of inventory.hosts found while compiling,
// and checks its name when the inventory is known at load time.
func (l *loader) inventoryRef(r ref, pos Pos) {
	l.addInventoryRef(InventoryRef{Name: r.name, Pos: pos})
}

func (l *loader) addInventoryRef(r InventoryRef) {
	l.pb.Inventory = append(l.pb.Inventory, r)
	if inv := l.sub.inv; inv != nil {
		if msg := checkInventoryRef(inv, r); msg != "" {
			l.d.Add(r.Pos, "%s", msg)
		}
	}
}

// literalHost records the host parameter of s when the step acts on a
// remote host and the host is written without an expression; pos is where
// its value is.
func (l *loader) literalHost(s *Step, pos map[string]Pos) {
	var ht hostTarget
	if s.Entry == nil || !s.Entry.As(&ht) {
		return
	}
	name := ht.HostParam()
	v, _ := s.LiteralParam(name)
	if target, ok := v.(string); ok && target != "" {
		l.addInventoryRef(InventoryRef{Name: target, Pos: pos[name], Host: true})
	}
}

// InventoryData returns the data that inventory.hosts reads: the file's
// name, and the hosts each name a selection may use (a group, a host,
// "all", "tag:NAME") selects, as plain data (see inventory.Host.Data). A
// selection is built when a run first asks for it and kept for the run:
// building every one at the start would cost each host once per group
// holding it, times its groups, which for hosts in thousands of nested
// groups is gigabytes, for a playbook that reads one group. The engine
// puts it in the expression environment under EnvInventory; nil stands
// for no inventory.
func InventoryData(inv *inventory.Inventory) map[string]any {
	if inv == nil {
		return nil
	}
	return map[string]any{"file": inv.File, "select": &selections{inv: inv, made: map[string][]any{}}}
}

// selections are the hosts of the names asked for so far, shared by the
// evaluations of a run (items of a fan-out among them, at once).
type selections struct {
	inv  *inventory.Inventory
	mu   sync.Mutex
	made map[string][]any
}

func (s *selections) hosts(name string) ([]any, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if hosts, ok := s.made[name]; ok {
		return hosts, nil
	}
	hosts, err := s.inv.HostData(name)
	if err != nil {
		return nil, err
	}
	s.made[name] = hosts
	return hosts, nil
}

// inventoryHosts is inventory.hosts(name) at run time: data is the
// environment's inventory (InventoryData), nil without one.
func inventoryHosts(params ...any) (any, error) {
	data, _ := params[0].(map[string]any)
	name, _ := params[1].(string)
	sel, _ := data["select"].(*selections)
	if sel == nil {
		return nil, errors.New("inventory.hosts: no inventory is loaded; run with --inventory FILE")
	}
	hosts, err := sel.hosts(name)
	if err != nil {
		return nil, fmt.Errorf("inventory.hosts: %w", err)
	}
	return hosts, nil
}

// addInventoryFunc declares inventory.hosts in an expression config.
func addInventoryFunc(cfg *conf.Config) {
	cfg.Functions[inventoryFunc] = &builtin.Function{
		Name:  inventoryFunc,
		Func:  inventoryHosts,
		Types: []reflect.Type{reflect.TypeOf((func(map[string]any, string) []any)(nil))},
	}
}

// rewriteInventory turns every inventory.hosts(x) in the tree into a call
// of inventoryFunc with the environment's inventory as first argument, and
// refuses any other use of the name. It returns a ref per call: kind
// "inventory", the literal name or "".
func rewriteInventory(root *ast.Node, src string) ([]ref, *exprError) {
	// No let can take the name: expr refuses to redeclare a name of the
	// environment.
	rw := &inventoryRewrite{src: src, made: map[*ast.IdentifierNode]bool{}}
	ast.Walk(root, rw)
	if rw.err == nil {
		ast.Walk(root, &inventoryUses{rw: rw})
	}
	return rw.refs, rw.err
}

type inventoryRewrite struct {
	src  string
	made map[*ast.IdentifierNode]bool // the inventory arguments the rewrite added
	refs []ref
	err  *exprError
}

func (rw *inventoryRewrite) Visit(node *ast.Node) {
	call, ok := (*node).(*ast.CallNode)
	if !ok {
		return
	}
	m, ok := call.Callee.(*ast.MemberNode)
	if !ok {
		return
	}
	id, ok1 := m.Node.(*ast.IdentifierNode)
	prop, ok2 := m.Property.(*ast.StringNode)
	if !ok1 || !ok2 || id.Value != EnvInventory {
		return
	}
	if prop.Value != "hosts" {
		rw.fail(m, "inventory has only hosts(\"name\"), not %s", prop.Value)
		return
	}
	arg := &ast.IdentifierNode{Value: EnvInventory}
	arg.SetLocation(id.Location())
	rw.made[arg] = true
	callee := &ast.IdentifierNode{Value: inventoryFunc}
	callee.SetLocation(m.Location())
	r := ref{kind: "inventory", off: runeOffset(rw.src, id.Location().From)}
	if len(call.Arguments) == 1 {
		if s, ok := call.Arguments[0].(*ast.StringNode); ok {
			if s.Value == "" {
				// Not a computed name, which "" stands for in refs:
				// it would select nothing, and fail the run there.
				rw.fail(s, `inventory.hosts(""): give a group or host name, tag:NAME, or "all"`)
				return
			}
			r.name, r.off = s.Value, runeOffset(rw.src, s.Location().From)
		}
	}
	rw.refs = append(rw.refs, r)
	nc := &ast.CallNode{Callee: callee, Arguments: append([]ast.Node{arg}, call.Arguments...)}
	nc.SetLocation(call.Location())
	*node = nc
}

func (rw *inventoryRewrite) fail(n ast.Node, format string, args ...any) {
	if rw.err == nil {
		rw.err = &exprError{off: runeOffset(rw.src, n.Location().From), msg: fmt.Sprintf(format, args...)}
	}
}

// inventoryUses refuses the name inventory where the rewrite did not put
// it: the inventory is read through inventory.hosts only.
type inventoryUses struct{ rw *inventoryRewrite }

func (u *inventoryUses) Visit(node *ast.Node) {
	switch n := (*node).(type) {
	case *ast.IdentifierNode:
		if n.Value == EnvInventory && !u.rw.made[n] {
			u.rw.fail(n, "the inventory is read with inventory.hosts(\"group\"), which gives the hosts of a group (or a host, all, or tag:NAME)")
		}
	case *ast.CallNode:
		// The rewritten call's own name, or inventoryFunc written by hand.
		if id, ok := n.Callee.(*ast.IdentifierNode); ok && id.Value == inventoryFunc && (len(n.Arguments) == 0 || !u.isMade(n.Arguments[0])) {
			u.rw.fail(n, "unknown function %s", inventoryFunc)
		}
	}
}

func (u *inventoryUses) isMade(n ast.Node) bool {
	id, ok := n.(*ast.IdentifierNode)
	return ok && u.rw.made[id]
}

// KnownParam returns the step's parameter name as it is known before a
// run, and whether it is: its value when written without an expression,
// nil when the step leaves it out (known too), and known false when an
// expression computes it, or the whole with:.
func (s *Step) KnownParam(name string) (any, bool) {
	if s.Params != nil {
		v := s.Params[name]
		return v, v != ops.Deferred
	}
	if s.With == nil {
		return nil, true
	}
	switch s.With.Kind {
	case KindLiteral:
		m, _ := s.With.Lit.(map[string]any)
		return m[name], true
	case KindMap:
		for i, k := range s.With.Keys {
			if k == name {
				return s.With.Items[i].Lit, !s.With.Items[i].Dynamic()
			}
		}
		return nil, true
	}
	return nil, false
}

// LiteralParam returns the step's parameter name when it is written
// without an expression, whatever the other parameters are: what
// authorization can check before a run (the host of an ssh.* step).
func (s *Step) LiteralParam(name string) (any, bool) {
	if s.Params != nil {
		v, ok := s.Params[name]
		return v, ok
	}
	if s.With == nil {
		return nil, false
	}
	switch s.With.Kind {
	case KindLiteral:
		m, _ := s.With.Lit.(map[string]any)
		v, ok := m[name]
		return v, ok
	case KindMap:
		for i, k := range s.With.Keys {
			if k == name && s.With.Items[i].Kind == KindLiteral {
				return s.With.Items[i].Lit, true
			}
		}
	}
	return nil, false
}

// WithCheck adds a check of the playbook's steps, run while it loads and
// reported with the loader's own problems (sorted by position), so that
// one validate shows them all: check sees the playbook as decoded even
// when it has other problems, and must pass over what is not filled in (a
// step with an unknown op has a nil Entry and no Risk). Sub-playbooks are
// not given to it.
func WithCheck(check func(*Playbook) Diagnostics) LoadOption {
	return func(s *subLoads) { s.checks = append(s.checks, check) }
}
