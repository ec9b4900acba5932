package cluster

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"net/url"
	"sort"

	"go.yaml.in/yaml/v3"

	"github.com/arsenal-run/arsenal-run/internal/fsroot"
	"github.com/arsenal-run/arsenal-run/internal/redact"
	"github.com/arsenal-run/arsenal-run/internal/yamlx"
	hostinv "github.com/arsenal-run/arsenal-run/pkg/inventory"
	"github.com/arsenal-run/arsenal-run/pkg/ops"
	"github.com/arsenal-run/arsenal-run/pkg/ops/internal/policy"
	"github.com/arsenal-run/arsenal-run/pkg/ops/internal/port"
)

// Node is one member of a cluster: probed over HTTP when it has a URL, by a
// TCP connection when it has an address.
type Node struct {
	Name    string            `yaml:"name"`
	URL     string            `yaml:"url"`
	Address string            `yaml:"address"`
	Labels  map[string]string `yaml:"labels"`
}

// MaxNodes bounds the nodes of one check.
const MaxNodes = 10000

// check validates one node.
func (n *Node) check() error {
	switch {
	case n.Name == "":
		return errors.New("has no name")
	case n.URL != "" && n.Address != "":
		return fmt.Errorf("%s: give url or address, not both", n.Name)
	case n.URL == "" && n.Address == "":
		return fmt.Errorf("%s: give url (probed with HTTP GET) or address (host:port, probed with TCP)", n.Name)
	case n.URL != "":
		u, err := url.Parse(n.URL)
		if perr := port.ParseError(err); perr != nil {
			return fmt.Errorf("%s: url: %w", n.Name, perr)
		}
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return fmt.Errorf("%s: url %q is not an http:// or https:// URL", n.Name, n.URL)
		}
		if err := port.OfURL(u); err != nil {
			return fmt.Errorf("%s: url: %w", n.Name, err)
		}
	default:
		h, p, err := net.SplitHostPort(n.Address)
		if err != nil || h == "" || p == "" {
			return fmt.Errorf("%s: address %q is not host:port", n.Name, n.Address)
		}
		if err := port.Check(p); err != nil {
			return fmt.Errorf("%s: address %q: %w", n.Name, n.Address, err)
		}
	}
	return nil
}

// nodesFromParam converts the nodes param. With final false, items still
// holding expressions are skipped.
func nodesFromParam(list []any, final bool) ([]Node, error) {
	var out []Node
	for i, item := range list {
		if item == ops.Deferred && !final {
			continue
		}
		m, ok := item.(map[string]any)
		if !ok {
			return nil, fmt.Errorf("item %d: want a map like {name: web-1, url: http://10.0.0.1/healthz}, got %s", i, ops.TypeName(item))
		}
		var n Node
		for k, v := range m {
			if v == ops.Deferred && !final {
				continue
			}
			switch k {
			case "name", "url", "address":
				s, ok := v.(string)
				if !ok {
					return nil, fmt.Errorf("item %d: %s: want a string, got %s", i, k, ops.TypeName(v))
				}
				switch k {
				case "name":
					n.Name = s
				case "url":
					n.URL = s
				default:
					n.Address = s
				}
			case "labels":
				lm, ok := v.(map[string]any)
				if !ok {
					return nil, fmt.Errorf("item %d: labels: want a map, got %s", i, ops.TypeName(v))
				}
				n.Labels = map[string]string{}
				for lk, lv := range lm {
					// A selector matches a label by its text: a null or a
					// list would match "<nil>" or "[1 2]", so only
					// scalars are labels, as in an inventory file.
					switch lv.(type) {
					case string, int, int64, uint64, float64, bool:
						n.Labels[lk] = fmt.Sprint(lv)
					default:
						return nil, fmt.Errorf("item %d%s: label %q: want a string, number or bool, got %s", i, nodeName(m), lk, ops.TypeName(lv))
					}
				}
			default:
				return nil, fmt.Errorf("item %d: unknown key %q; a node has name, url or address, and labels", i, k)
			}
		}
		if !final && hasDeferred(m) {
			continue
		}
		if err := n.check(); err != nil {
			return nil, fmt.Errorf("item %d: %w", i, err)
		}
		out = append(out, n)
	}
	return out, unique(out)
}

// nodeName is " (NAME)" for a node item whose name is a literal string,
// for messages; "" otherwise.
func nodeName(m map[string]any) string {
	if s, ok := m["name"].(string); ok && s != "" {
		return " (" + s + ")"
	}
	return ""
}

func hasDeferred(m map[string]any) bool {
	for _, v := range m {
		if v == ops.Deferred {
			return true
		}
	}
	return false
}

func unique(nodes []Node) error {
	seen := map[string]bool{}
	for _, n := range nodes {
		if seen[n.Name] {
			return fmt.Errorf("node name %q is used twice", n.Name)
		}
		seen[n.Name] = true
	}
	return nil
}

// inventoryCould is what another user who could swap an inventory file
// could do to the runs of serve and schedule that read it.
const inventoryCould = "choose the nodes the runs that read it probe (any URL or address this host reaches), what the probes find and the labels the runs pick nodes by"

// maxInventory bounds the size of an inventory file.
const maxInventory = 4 << 20

// nodeKeys are the fields of a node in an inventory file.
var nodeKeys = []string{"name", "url", "address", "labels"}

var inventoryLimits = yamlx.Limits{
	MaxFileSize: maxInventory, MaxDepth: 32, MaxAliasNodes: 10000, MaxNodes: 500_000,
	SplitHint: "split the nodes into several files",
	EmptyHint: "an inventory lists nodes: a list of {name, url or address, labels}, or {nodes: [...]}",
}

// LoadInventory reads an inventory file: YAML holding either a list of
// nodes or {nodes: [...]}, each with name, url or address, and labels; or
// the inventory file of the ssh.* operations (a mapping with hosts:, see
// package inventory), whose hosts become nodes probed at health_url, else
// at address:port, labelled with their scalar vars but those named like
// credentials. Unknown keys are errors, each reported with its
// file:line:col.
func LoadInventory(ctx context.Context, path string) ([]Node, error) {
	// An inventory beside the playbook is fine when the playbook names
	// it: one an expression computes (from an input) is read only inside
	// the caller's roots, or a role that may only read could have any
	// file beside a served playbook parsed, and its fields shown.
	var extra []string
	call := ops.CallFrom(ctx)
	literal := call.IsLiteral("inventory")
	if call.Dir != "" && literal {
		extra = append(extra, call.Dir)
	}
	// The run's own inventory (--inventory) is protected from the file
	// operations, but it is the file this op is documented to read.
	// In a daemon's run, one another user could swap is refused: its
	// writer would choose the nodes probed, and so what the run decides.
	b, err := policy.ReadTrustedFileOf(ctx, path, extra, maxInventory, fsroot.Inventory, "the inventory", inventoryCould)
	switch {
	case policy.IsSwappable(err):
		return nil, ops.Errorf(ops.ClassValidation, "param inventory %s: %v", path, err)
	case errors.Is(err, ops.ErrDenied) && call.Dir != "" && !literal:
		return nil, ops.WithClass(ops.ClassAuthorization, fmt.Errorf("%w; inventory is computed by an expression, so the playbook's directory does not hold it as it holds an inventory written in the playbook: write inventory literally, or have an admin add its directory to file_roots", err))
	case errors.Is(err, ops.ErrDenied):
		return nil, ops.WithClass(ops.ClassAuthorization, err)
	case errors.Is(err, fs.ErrNotExist):
		return nil, ops.Errorf(ops.ClassExecution, "inventory %s does not exist%s", path, policy.LookedFor(ctx, path))
	case err != nil:
		var pe *fs.PathError
		if errors.As(err, &pe) {
			err = pe.Err
		}
		return nil, ops.Errorf(ops.ClassExecution, "inventory %s: %v%s", path, err, policy.LookedFor(ctx, path))
	}
	// A problem in the file is located in the file that was read: a
	// relative path is taken from the playbook's directory, not from
	// where the reader of the message stands.
	file := path
	if abs, err := policy.Abs(ctx, path); err == nil {
		file = abs
	}
	nodes, err := parseInventory(file, b)
	if err != nil {
		return nil, ops.WithClass(ops.ClassValidation, err)
	}
	return nodes, nil
}

// parseInventory reads the nodes of an inventory file named file. Which of
// the formats it is follows from the parsed value, not from how the text
// starts: a comment or a %YAML directive may come before a list.
func parseInventory(file string, b []byte) ([]Node, error) {
	d := &yamlx.Diags{File: file}
	root := yamlx.Parse(b, inventoryLimits, d)
	if root == nil {
		return nil, d.Err()
	}
	root = yamlx.Deref(root)
	var list *yaml.Node
	switch root.Kind {
	case yaml.SequenceNode:
		list = root
	case yaml.MappingNode:
		if hasKey(root, "hosts") {
			return hostNodes(file, b)
		}
		yamlx.Fields(root, "the inventory", []string{"nodes"}, d, func(_ string, _, v *yaml.Node) { list = v })
		if list == nil && d.Err() == nil {
			d.Add(yamlx.PosOf(root), "missing nodes; %s", inventoryLimits.EmptyHint)
		}
	default:
		// The path may name a file that is no inventory at all (a
		// token): say what was found, never what it holds.
		d.Add(yamlx.PosOf(root), "the inventory is %s; %s, or the inventory of the ssh.* operations (with hosts:)", yamlx.KindOf(root), inventoryLimits.EmptyHint)
	}
	if list == nil {
		return nil, d.Err()
	}
	nodes := nodesOfList(yamlx.Deref(list), d)
	if err := d.Err(); err != nil {
		return nil, err
	}
	return nodes, nil
}

// hasKey reports whether the mapping n has the key.
func hasKey(n *yaml.Node, key string) bool {
	for i := 0; i+1 < len(n.Content); i += 2 {
		if k := yamlx.Deref(n.Content[i]); k.Kind == yaml.ScalarNode && k.Value == key {
			return true
		}
	}
	return false
}

// hostNodes makes nodes of the hosts of an ssh.* inventory.
func hostNodes(file string, b []byte) ([]Node, error) {
	inv, err := hostinv.Parse(file, b)
	if err != nil {
		return nil, err
	}
	nodes := nodesOfHosts(inv)
	for i := range nodes {
		if err := nodes[i].check(); err != nil {
			h, _ := inv.Host(nodes[i].Name)
			return nil, fmt.Errorf("%s:%d:%d: host %w", file, h.Pos.Line, h.Pos.Col, err)
		}
	}
	return nodes, nil
}

// nodesOfList reads the list of nodes of an inventory file, reporting
// every problem to d.
func nodesOfList(list *yaml.Node, d *yamlx.Diags) []Node {
	if list.Kind != yaml.SequenceNode {
		d.Add(yamlx.PosOf(list), "nodes must be a list of nodes, each {name, url or address, labels}, not %s", yamlx.KindOf(list))
		return nil
	}
	switch n := len(list.Content); {
	case n == 0:
		d.Add(yamlx.PosOf(list), "lists no nodes; list at least one")
		return nil
	case n > MaxNodes:
		d.Add(yamlx.PosOf(list), "lists %d nodes, at most %d allowed; split them into several files", n, MaxNodes)
		return nil
	}
	var nodes []Node
	first := map[string]int{} // name -> the line it is first given at
	for i, item := range list.Content {
		written := item
		item = yamlx.Deref(item)
		if item.Kind != yaml.MappingNode {
			d.Add(yamlx.PosOf(item), "a node must be a mapping like {name: web-1, url: http://10.0.0.1/healthz}, not %s", yamlx.KindOf(item))
			continue
		}
		var n Node
		namePos := yamlx.PosOf(item)
		// A node with a problem of its own (an unknown key, a value of
		// the wrong type) is not checked further: that it then lacks a
		// url would only repeat the problem.
		before := len(d.List)
		yamlx.Fields(item, "a node", nodeKeys, d, func(key string, _, v *yaml.Node) {
			switch key {
			case "name", "url", "address":
				s, _ := yamlx.Str(v, key, d)
				switch key {
				case "name":
					n.Name, namePos = s, yamlx.PosOf(yamlx.Deref(v))
				case "url":
					n.URL = s
				default:
					n.Address = s
				}
			case "labels":
				n.Labels = labelsOf(v, d)
			}
		})
		if len(d.List) > before {
			continue
		}
		if err := n.check(); err != nil {
			d.Add(yamlx.PosOf(item), "node %v", err)
			continue
		}
		if line, dup := first[n.Name]; dup {
			// A node repeated through an alias (- *web) is named by it.
			restore := d.Within(written, func() string { return fmt.Sprintf("node %d of the list", i+1) })
			d.Add(namePos, "node name %q is used twice (first at line %d); rename one", n.Name, line)
			restore()
			continue
		}
		first[n.Name] = namePos.Line
		nodes = append(nodes, n)
	}
	return nodes
}

// labelsOf reads the labels of a node: a mapping of scalars, which a
// selector matches by their text. Problems are reported to d.
func labelsOf(v *yaml.Node, d *yamlx.Diags) map[string]string {
	pairs, ok := yamlx.Pairs(v, "labels", d)
	if !ok {
		return nil
	}
	out := make(map[string]string, len(pairs))
	for _, p := range pairs {
		lv := yamlx.Deref(p.V)
		if lv.Kind != yaml.ScalarNode || yamlx.IsNull(lv) {
			// Every bad label is reported; the node is not used.
			d.Add(yamlx.PosOf(lv), "label %q must be a string, number or bool, not %s", p.Key, yamlx.KindOf(lv))
			continue
		}
		out[p.Key] = lv.Value
	}
	return out
}

// nodesOfHosts makes a node of every host of the inventory, labelled with
// its scalar vars but for those whose names look like credentials
// (db_password, api_token): labels are in every output, report, audit line
// and answer of /api/v1/cluster/*, read by roles that may not read the
// inventory itself.
func nodesOfHosts(inv *hostinv.Inventory) []Node {
	var nodes []Node
	for _, name := range inv.HostNames() {
		h, _ := inv.Host(name)
		n := Node{Name: name, URL: h.HealthURL, Labels: map[string]string{}}
		if n.URL == "" {
			n.Address = h.HostPort()
		}
		for k, v := range h.Vars {
			if redact.SensitiveParam(k) {
				continue
			}
			switch v.(type) {
			case string, int, float64, bool:
				n.Labels[k] = fmt.Sprint(v)
			}
		}
		nodes = append(nodes, n)
	}
	return nodes
}

// byLabel groups node names by label key and value.
func byLabel(nodes []Node) map[string]any {
	out := map[string]any{}
	for _, n := range nodes {
		for k, v := range n.Labels {
			vals, _ := out[k].(map[string]any)
			if vals == nil {
				vals = map[string]any{}
				out[k] = vals
			}
			names, _ := vals[v].([]any)
			vals[v] = append(names, n.Name)
		}
	}
	for _, vals := range out {
		for v, names := range vals.(map[string]any) {
			l := names.([]any)
			sort.Slice(l, func(i, j int) bool { return l[i].(string) < l[j].(string) })
			vals.(map[string]any)[v] = l
		}
	}
	return out
}
