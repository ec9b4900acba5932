package cluster

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"sort"
	"strings"

	"go.yaml.in/yaml/v3"

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

// inventory is the file format: a list of nodes, or a map with a nodes
// key.
type inventory struct {
	Nodes []Node `yaml:"nodes"`
}

// maxInventory bounds the size of an inventory file.
const maxInventory = 4 << 20

// LoadInventory reads an inventory file: YAML holding either a list of
// nodes or {nodes: [...]}, each with name, url or address, and labels; or
// the inventory file of the ssh.* operations (a mapping with hosts:, see
// package inventory), whose hosts become nodes probed at health_url, else
// at address:port, labelled with their scalar vars. Unknown keys are
// errors.
func LoadInventory(ctx context.Context, path string) ([]Node, error) {
	var extra []string
	if dir := ops.CallFrom(ctx).Dir; dir != "" {
		extra = append(extra, dir) // an inventory beside the playbook is fine
	}
	b, err := policy.ReadFile(ctx, path, extra, maxInventory)
	if err != nil {
		if errors.Is(err, ops.ErrDenied) {
			return nil, ops.WithClass(ops.ClassAuthorization, err)
		}
		return nil, ops.Errorf(ops.ClassExecution, "inventory %s: %v", path, err)
	}
	if isHostInventory(b) {
		inv, err := hostinv.Parse(path, b)
		if err != nil {
			return nil, ops.WithClass(ops.ClassValidation, err)
		}
		nodes := nodesOfHosts(inv)
		for i := range nodes {
			if err := nodes[i].check(); err != nil {
				return nil, ops.Errorf(ops.ClassValidation, "inventory %s: host %w", path, err)
			}
		}
		return nodes, nil
	}
	nodes, err := parseInventory(b)
	if err != nil {
		return nil, ops.Errorf(ops.ClassValidation, "inventory %s: %v", path, err)
	}
	return nodes, nil
}

func parseInventory(b []byte) ([]Node, error) {
	var nodes []Node
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	trimmed := strings.TrimSpace(string(b))
	var err error
	if strings.HasPrefix(trimmed, "-") || strings.HasPrefix(trimmed, "[") {
		err = dec.Decode(&nodes)
	} else {
		var inv inventory
		err = dec.Decode(&inv)
		nodes = inv.Nodes
	}
	if err != nil && !errors.Is(err, io.EOF) {
		return nil, err
	}
	var extra any
	if err := dec.Decode(&extra); !errors.Is(err, io.EOF) {
		return nil, errors.New("holds more than one YAML document")
	}
	if len(nodes) == 0 {
		return nil, errors.New("lists no nodes")
	}
	if len(nodes) > MaxNodes {
		return nil, fmt.Errorf("lists %d nodes, at most %d allowed", len(nodes), MaxNodes)
	}
	for i := range nodes {
		if err := nodes[i].check(); err != nil {
			return nil, fmt.Errorf("node %d: %w", i+1, err)
		}
	}
	return nodes, unique(nodes)
}

// isHostInventory reports whether b is the ssh.* inventory format: a
// mapping with a hosts key.
func isHostInventory(b []byte) bool {
	var top map[string]yaml.Node
	return yaml.Unmarshal(b, &top) == nil && top["hosts"].Kind != 0
}

// nodesOfHosts makes a node of every host of the inventory.
func nodesOfHosts(inv *hostinv.Inventory) []Node {
	var nodes []Node
	for _, name := range inv.HostNames() {
		h, _ := inv.Host(name)
		n := Node{Name: name, URL: h.HealthURL, Labels: map[string]string{}}
		if n.URL == "" {
			n.Address = h.HostPort()
		}
		for k, v := range h.Vars {
			switch v.(type) {
			case string, int, float64, bool:
				n.Labels[k] = fmt.Sprint(v)
			}
		}
		nodes = append(nodes, n)
	}
	return nodes
}

// selectNodes keeps the nodes carrying every label of sel.
func selectNodes(nodes []Node, sel map[string]any) []Node {
	if len(sel) == 0 {
		return nodes
	}
	var out []Node
	for _, n := range nodes {
		ok := true
		for k, v := range sel {
			if n.Labels[k] != fmt.Sprint(v) {
				ok = false
				break
			}
		}
		if ok {
			out = append(out, n)
		}
	}
	return out
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
