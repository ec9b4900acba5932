// Package cluster holds cluster.health and cluster.topology: probe every
// node of a cluster concurrently (HTTP GET for nodes with a URL, a TCP
// connection for nodes with an address) and sum the results up.
package cluster

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/sourcegraph/conc/panics"
	"github.com/sourcegraph/conc/pool"

	"github.com/arsenal-run/arsenal-run/internal/redact"
	"github.com/arsenal-run/arsenal-run/internal/short"
	"github.com/arsenal-run/arsenal-run/pkg/ops"
	"github.com/arsenal-run/arsenal-run/pkg/ops/internal/policy"
	"github.com/arsenal-run/arsenal-run/pkg/ops/internal/tlshint"
	"github.com/arsenal-run/arsenal-run/pkg/telemetry/httptrace"
)

// Prober probes nodes. It keeps one HTTP connection pool, shared by
// cluster.health and cluster.topology and reused across runs; Close
// releases its idle connections. It is safe for concurrent use.
type Prober struct {
	once sync.Once
	tr   *http.Transport
	mem  *ops.OutputMemory // holds the answers probes read (holdBody); nil: none
}

// Register adds cluster.health and cluster.topology to r, sharing one
// Prober.
func Register(r *ops.Registry) error {
	p := &Prober{mem: r.OutputMemory()}
	if err := r.Register(healthSpec(), &Health{p}); err != nil {
		return err
	}
	return r.Register(topologySpec(), &Topology{p})
}

func (p *Prober) transport(ctx context.Context) (*http.Transport, func()) {
	p.once.Do(func() {
		dialer := net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}
		p.tr = &http.Transport{
			Proxy: http.ProxyFromEnvironment,
			DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
				return policy.DialContext(ctx, dialer, network, addr)
			},
			MaxIdleConns:        1024,
			MaxIdleConnsPerHost: 4,
			IdleConnTimeout:     90 * time.Second,
			TLSHandshakeTimeout: 10 * time.Second,
			// No client certificate; a node that asks for one is noted
			// for the hint (tlshint.Watch).
			TLSClientConfig: &tls.Config{GetClientCertificate: tlshint.NoClientCert},
		}
	})
	if !policy.HasDialPolicy(ctx) {
		return p.tr, func() {}
	}
	// A scope with a network policy gets connections of its own, never
	// ones dialled for another scope.
	t := p.tr.Clone()
	t.Proxy = nil
	return t, t.CloseIdleConnections
}

// Close releases idle connections.
func (p *Prober) Close() error {
	if p.tr != nil {
		p.tr.CloseIdleConnections()
	}
	return nil
}

// commonParams are the params of both ops.
func commonParams() []ops.Param {
	return []ops.Param{
		{Name: "nodes", Type: ops.TypeList, Items: ops.TypeMap, MaxLen: MaxNodes,
			ItemTargets: map[string]ops.Target{"url": ops.TargetURL, "address": ops.TargetAddress},
			Description: "the nodes, each {name, url} (HTTP GET, 2xx = up) or {name, address} (host:port, TCP connect = up), with optional labels; exclusive with inventory"},
		{Name: "inventory", Type: ops.TypeString, MaxLen: 4096,
			Description: "a YAML file listing the nodes (a list, or {nodes: [...]}), or the hosts inventory of the ssh.* operations; inside the allowed roots, or relative to the playbook's directory when written literally"},
		{Name: "selector", Type: ops.TypeMap, Description: "only the nodes with all these labels, e.g. {role: web}; one value (string, number or bool) per label"},
		{Name: "timeout", Type: ops.TypeDuration, Default: "2s", Max: ops.Bound(300), Description: "limit for each probe"},
		{Name: "concurrency", Type: ops.TypeInteger, Default: 16, Min: ops.Bound(1), Max: ops.Bound(256), Description: "probes at once"},
	}
}

// validateNodes checks nodes or inventory, exactly one.
func validateNodes(p ops.Params, final bool) error {
	_, hasNodes := p["nodes"]
	_, hasInv := p["inventory"]
	if hasNodes == hasInv {
		return &ops.ParamError{Param: "nodes", Msg: "give nodes or inventory, exactly one"}
	}
	if err := checkSelector(p); err != nil {
		return err
	}
	if p.Known("nodes") {
		nodes, err := nodesFromParam(p.List("nodes"), final)
		if err != nil {
			return &ops.ParamError{Param: "nodes", Msg: err.Error()}
		}
		if final && len(nodes) == 0 {
			return &ops.ParamError{Param: "nodes", Msg: "is empty; list at least one node"}
		}
	}
	return nil
}

// load returns the selected nodes of the params.
func load(ctx context.Context, p ops.Params) ([]Node, error) {
	var nodes []Node
	var err error
	if p.Known("inventory") {
		nodes, err = LoadInventory(ctx, p.String("inventory"))
	} else {
		nodes, err = nodesFromParam(p.List("nodes"), true)
		if err != nil {
			err = ops.Errorf(ops.ClassValidation, "param nodes: %v", err)
		}
	}
	if err != nil {
		return nil, err
	}
	selected := selectNodes(nodes, p.Map("selector"))
	if len(selected) == 0 {
		return nil, ops.Errorf(ops.ClassValidation, "param selector: %s%s", noMatch(nodes, p.Map("selector")), credentialHint(p))
	}
	return selected, nil
}

// credentialHint explains a selector that names a var of an inventory's
// hosts that is no label because its name looks like a credential.
func credentialHint(p ops.Params) string {
	if !p.Known("inventory") {
		return ""
	}
	for k := range p.Map("selector") {
		if redact.SensitiveParam(k) {
			return fmt.Sprintf("; a host var whose name looks like a credential, such as %q, is not a label (it would be shown in every output)", k)
		}
	}
	return ""
}

// result is the outcome of probing one node.
type result struct {
	status  string // up, down or timeout
	latency time.Duration
	err     string
	code    int            // HTTP status, 0 for TCP
	arsenal map[string]any // what an arsenal-run server's /healthz said of it (arsenalInfo), when asked for
}

// probeAll probes every node with at most n probes at once. Results are
// indexed like nodes. It fails only when ctx ends or a policy refuses a
// connection.
func (p *Prober) probeAll(ctx context.Context, nodes []Node, n int, timeout time.Duration, readInfo bool) ([]result, error) {
	tr, done := p.transport(ctx)
	defer done()
	client := &http.Client{Transport: httptrace.Transport(tr), CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	results := make([]result, len(nodes))
	failed := make([]error, len(nodes)) // a connection denied, or no memory for its answer
	hctx := onceMessage(ctx)
	wp := pool.New().WithMaxGoroutines(n)
	for i := range nodes {
		if ctx.Err() != nil {
			break
		}
		wp.Go(func() {
			if ctx.Err() != nil {
				return
			}
			var r result
			rec := panics.Try(func() { r, failed[i] = p.probe(ctx, hctx, client, &nodes[i], timeout, readInfo) })
			if rec != nil {
				r = result{status: "down", err: "internal error while probing: " + fmt.Sprint(rec.Value)}
			}
			results[i] = r
		})
	}
	wp.Wait()
	if ctx.Err() != nil {
		return nil, context.Cause(ctx)
	}
	for _, err := range failed {
		if errors.Is(err, ops.ErrDenied) {
			return nil, ops.WithClass(ops.ClassAuthorization, err)
		}
	}
	for _, err := range failed {
		if err != nil {
			return nil, err
		}
	}
	return results, nil
}

// dialTCP connects to the address nodes; tests replace it to give the
// errors of a dial that timing alone would make rare.
var dialTCP = policy.DialContext

// probe checks one node within timeout, once it holds the room for the
// node's answer (holdBody, with hctx: ctx saying it waits once a step).
func (p *Prober) probe(ctx, hctx context.Context, client *http.Client, n *Node, timeout time.Duration, readInfo bool) (result, error) {
	if n.URL != "" {
		h, err := holdBody(hctx, p.mem, n, readInfo)
		if err != nil {
			return result{}, err
		}
		defer h.Release()
	}
	pctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	pctx, asked := tlshint.Watch(pctx)
	start := time.Now()
	var r result
	var err error
	if n.URL != "" {
		r, err = probeHTTP(pctx, client, n.URL, readInfo)
	} else {
		var c net.Conn
		c, err = dialTCP(pctx, net.Dialer{}, "tcp", n.Address)
		if err == nil {
			c.Close()
			r.status = "up"
		}
	}
	r.latency = time.Since(start)
	switch {
	case err == nil:
	case errors.Is(err, ops.ErrDenied):
		return r, fmt.Errorf("node %s: %w", n.Name, unwrapURL(err))
	case ctx.Err() == nil && (pctx.Err() != nil || policy.TimedOut(err)):
		r.status, r.err = "timeout", fmt.Sprintf("no answer within %s", short.Duration(timeout))
	default:
		r.status, r.err = "down", shortError(err, n, asked)
	}
	return r, nil
}

func probeHTTP(ctx context.Context, client *http.Client, rawURL string, readInfo bool) (result, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, rawURL, nil)
	if err != nil {
		return result{}, err
	}
	req.Header.Set("User-Agent", "arsenal-run")
	resp, err := client.Do(req)
	if err != nil {
		return result{}, err
	}
	defer resp.Body.Close()
	r := result{code: resp.StatusCode, status: "up"}
	if readInfo {
		body, err := readBody(resp.Body, resp.ContentLength)
		if err != nil {
			return result{}, err
		}
		// Read now, not kept: a topology of thousands of nodes would
		// hold 64 KiB of each until its end.
		r.arsenal = arsenalInfo(body)
	} else if err := drain(resp.Body); err != nil {
		return result{}, err
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		r.status, r.err = "down", "HTTP status "+resp.Status+redirectNote(resp)
	}
	return r, nil
}

// redirectNote says, for a redirect, that the probe does not follow it and
// where it leads: the host of its Location only, as the rest of it (the
// path, a query) may hold a token.
func redirectNote(resp *http.Response) string {
	if resp.StatusCode < 300 || resp.StatusCode > 399 {
		return ""
	}
	loc, err := resp.Location()
	if err != nil {
		return ""
	}
	where := "another path on the same host"
	if !strings.EqualFold(loc.Host, resp.Request.URL.Host) || loc.Scheme != resp.Request.URL.Scheme {
		where = loc.Scheme + "://" + loc.Host
	}
	return fmt.Sprintf("; redirects are not followed (this one leads to %s): give the node the URL that answers 2xx itself", where)
}

func unwrapURL(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}

// shortError is an error without the URL (which may hold credentials),
// with what to do when TLS failed; asked tells whether the handshake met
// a node asking for a client certificate.
func shortError(err error, n *Node, asked *tlshint.Record) string {
	hint := ""
	if n.URL != "" {
		hint = asked.Hint(err, tlsWords)
	}
	err = unwrapURL(err)
	var oe *net.OpError
	if errors.As(err, &oe) && oe.Err != nil {
		err = oe.Err
	}
	msg := err.Error()
	if n.URL != "" {
		if u, perr := url.Parse(n.URL); perr == nil {
			msg = redact.InText(msg, u)
		}
	}
	return strings.TrimPrefix(msg, "connect: ") + hint
}

func ms(d time.Duration) float64 {
	return math.Round(float64(d)/float64(time.Millisecond)*100) / 100
}

// nodeMap is the output entry of a node.
func nodeMap(n *Node, r result) map[string]any {
	m := map[string]any{"name": n.Name, "status": r.status, "latency_ms": ms(r.latency), "error": nil, "labels": labelMap(n.Labels)}
	if r.err != "" {
		m["error"] = r.err
	}
	if n.URL != "" {
		m["url"] = redact.URLString(n.URL)
		m["http_status"] = nil
		if r.code != 0 {
			m["http_status"] = r.code
		}
	} else {
		m["address"] = n.Address
	}
	return m
}

func labelMap(l map[string]string) map[string]any {
	m := make(map[string]any, len(l))
	for k, v := range l {
		m[k] = v
	}
	return m
}

// overall sums node results up: healthy when all are up, down when none is.
func overall(results []result) (status string, up int) {
	for _, r := range results {
		if r.status == "up" {
			up++
		}
	}
	switch up {
	case len(results):
		return "healthy", up
	case 0:
		return "down", up
	}
	return "degraded", up
}

// arsenalInfo reads the /healthz answer of an arsenal-run server:
// {"version": "...", "ops": N}. Anything else is not one.
// Nil for anything else.
func arsenalInfo(body []byte) map[string]any {
	var h struct {
		Version *string  `json:"version"`
		Ops     *float64 `json:"ops"`
	}
	if json.Unmarshal(body, &h) != nil || h.Version == nil || h.Ops == nil {
		return nil
	}
	return map[string]any{"version": *h.Version, "ops": int(*h.Ops)}
}
