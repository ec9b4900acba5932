package cluster

import (
	"context"
	"io"
	"strings"

	"github.com/arsenal-run/arsenal-run/pkg/ops"
)

// Health is the cluster.health operation.
type Health struct{ p *Prober }

var (
	_ ops.Op             = (*Health)(nil)
	_ ops.ParamValidator = (*Health)(nil)
	_ io.Closer          = (*Health)(nil)
)

func healthSpec() ops.Spec {
	params := append(commonParams(), ops.Param{Name: "fail_on", Type: ops.TypeString, Default: "never", Enum: []any{"never", "degraded", "down"},
		Description: "never: the status is a result, for when or retry.until; degraded: fail unless every node is up; down: fail when no node is up"})
	return ops.Spec{
		Name: "cluster.health",
		Description: "Probe every node of a cluster at once, HTTP GET for url nodes (2xx = up; a redirect is not followed, so it is down, its error naming the host it leads to) and TCP connect for address nodes, " +
			"and report each node (up, down or timeout) and the whole: healthy (all up), degraded (some) or down (none). " +
			"Not being healthy is a result, not a failure, unless fail_on says otherwise.",
		Risk:   ops.RiskRead,
		Params: params,
		Output: []ops.Field{
			{Name: "status", Type: "string", Description: "healthy, degraded or down"},
			{Name: "nodes", Type: "list", Description: "[{name, status, latency_ms, error, url or address, http_status, labels}] in the order given"},
			{Name: "up", Type: "integer"},
			{Name: "total", Type: "integer"},
		},
	}
}

// ValidateParams checks the nodes.
func (*Health) ValidateParams(p ops.Params, final bool) error { return validateNodes(p, final) }

// Close releases idle connections.
func (h *Health) Close() error { return h.p.Close() }

// Execute probes the nodes.
func (h *Health) Execute(ctx context.Context, p ops.Params) (map[string]any, error) {
	nodes, err := load(ctx, p)
	if err != nil {
		return nil, err
	}
	results, err := h.p.probeAll(ctx, nodes, p.Int("concurrency"), p.Duration("timeout"), false)
	if err != nil {
		return nil, err
	}
	list := make([]any, len(nodes))
	var bad []string
	for i := range nodes {
		list[i] = nodeMap(&nodes[i], results[i])
		if results[i].status != "up" {
			bad = append(bad, nodes[i].Name+" ("+results[i].err+")")
		}
	}
	status, up := overall(results)
	out := map[string]any{"status": status, "nodes": list, "up": up, "total": len(nodes)}
	switch f := p.String("fail_on"); {
	case f == "degraded" && status != "healthy", f == "down" && status == "down":
		return out, ops.Errorf(ops.ClassExecution, "cluster is %s: %d of %d nodes up; not up: %s", status, up, len(nodes), strings.Join(bad, ", "))
	}
	return out, nil
}

// Topology is the cluster.topology operation.
type Topology struct{ p *Prober }

var (
	_ ops.Op             = (*Topology)(nil)
	_ ops.ParamValidator = (*Topology)(nil)
	_ io.Closer          = (*Topology)(nil)
)

func topologySpec() ops.Spec {
	return ops.Spec{
		Name: "cluster.topology",
		Description: "Describe a cluster: its nodes with their labels and reachability, the nodes grouped by label, " +
			"and, for url nodes that are arsenal-run servers (GET <url>/healthz answers with version and ops), their version and op count.",
		Risk:   ops.RiskRead,
		Params: commonParams(),
		Output: []ops.Field{
			{Name: "nodes", Type: "list", Description: "[{name, url or address, labels, status, latency_ms, error, arsenal: {version, ops} or null}]"},
			{Name: "by_label", Type: "map", Description: "label -> value -> node names"},
			{Name: "status", Type: "string", Description: "healthy, degraded or down, as cluster.health"},
			{Name: "up", Type: "integer"},
			{Name: "total", Type: "integer"},
		},
	}
}

// ValidateParams checks the nodes.
func (*Topology) ValidateParams(p ops.Params, final bool) error { return validateNodes(p, final) }

// Close releases idle connections.
func (t *Topology) Close() error { return t.p.Close() }

// Execute probes the nodes and identifies arsenal-run servers.
func (t *Topology) Execute(ctx context.Context, p ops.Params) (map[string]any, error) {
	nodes, err := load(ctx, p)
	if err != nil {
		return nil, err
	}
	n, timeout := p.Int("concurrency"), p.Duration("timeout")
	results, err := t.p.probeAll(ctx, nodes, n, timeout, true)
	if err != nil {
		return nil, err
	}
	// Ask the url nodes that are up for /healthz, unless that is what was
	// probed already.
	var ask []Node
	var askIdx []int
	for i, node := range nodes {
		if node.URL == "" || results[i].status != "up" {
			continue
		}
		if strings.HasSuffix(strings.SplitN(node.URL, "?", 2)[0], "/healthz") {
			continue
		}
		hz := node
		hz.URL = strings.TrimRight(strings.SplitN(node.URL, "?", 2)[0], "/") + "/healthz"
		ask = append(ask, hz)
		askIdx = append(askIdx, i)
	}
	info := make([]map[string]any, len(nodes))
	for i := range nodes {
		info[i] = results[i].arsenal
	}
	if len(ask) > 0 {
		hr, err := t.p.probeAll(ctx, ask, n, timeout, true)
		if err != nil {
			return nil, err
		}
		for j, i := range askIdx {
			info[i] = nil
			if hr[j].status == "up" {
				info[i] = hr[j].arsenal
			}
		}
	}
	list := make([]any, len(nodes))
	for i := range nodes {
		m := nodeMap(&nodes[i], results[i])
		m["arsenal"] = nil
		if info[i] != nil {
			m["arsenal"] = info[i]
		}
		list[i] = m
	}
	status, up := overall(results)
	return map[string]any{"nodes": list, "by_label": byLabel(nodes), "status": status, "up": up, "total": len(nodes)}, nil
}
