package cluster

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"go.uber.org/goleak"

	"github.com/arsenal-run/arsenal-run/internal/fsroot"
	"github.com/arsenal-run/arsenal-run/pkg/internal/chaintoken"
	"github.com/arsenal-run/arsenal-run/pkg/ops"
	"github.com/arsenal-run/arsenal-run/pkg/ops/internal/opstest"
)

// serverCert is a server certificate the system's roots trust in these
// tests.
var serverCert tls.Certificate

func TestMain(m *testing.M) {
	var err error
	if serverCert, err = opstest.TrustServerCert(); err != nil {
		panic(err)
	}
	goleak.VerifyTestMain(m)
}

func newRegistry(t testing.TB) *ops.Registry {
	t.Helper()
	r := ops.NewRegistry()
	if err := Register(r); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() })
	return r
}

func server(t testing.TB, h http.HandlerFunc) *httptest.Server {
	t.Helper()
	s := httptest.NewServer(h)
	t.Cleanup(s.Close)
	return s
}

func ok(w http.ResponseWriter, _ *http.Request) { io.WriteString(w, "ok") }

// tcpListener accepts connections on loopback, writes banner to each (if
// any) and closes it, as a TCP service that is up does.
func tcpListener(t *testing.T, banner string) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			io.WriteString(c, banner)
			c.Close()
		}
	}()
	t.Cleanup(func() { ln.Close(); <-done })
	return ln.Addr().String()
}

func closedAddr(t *testing.T) string {
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	a := ln.Addr().String()
	ln.Close()
	return a
}

// statuses returns name -> status of a health output.
func statuses(out map[string]any) map[string]string {
	m := map[string]string{}
	for _, n := range out["nodes"].([]any) {
		nm := n.(map[string]any)
		m[nm["name"].(string)] = nm["status"].(string)
	}
	return m
}

// TestHealth: each node's status, with a timeout long enough that a node
// that answers is never taken for a slow one on a loaded machine.
func TestHealth(t *testing.T) {
	r := newRegistry(t)
	up := server(t, ok)
	broken := server(t, func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusServiceUnavailable) })
	slow := server(t, func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-time.After(10 * time.Second):
		}
	})
	nodes := []any{
		map[string]any{"name": "web-1", "url": up.URL + "/healthz", "labels": map[string]any{"role": "web"}},
		map[string]any{"name": "web-2", "url": broken.URL},
		map[string]any{"name": "web-3", "url": slow.URL},
		map[string]any{"name": "db-1", "address": tcpListener(t, ""), "labels": map[string]any{"role": "db"}},
		map[string]any{"name": "db-2", "address": closedAddr(t)},
	}
	out, err := opstest.Execute(r, context.Background(), "cluster.health", map[string]any{"nodes": nodes, "timeout": "3s"})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"web-1": "up", "web-2": "down", "web-3": "timeout", "db-1": "up", "db-2": "down"}
	if diff := cmp.Diff(want, statuses(out)); diff != "" {
		t.Errorf("statuses (-want +got):\n%s", diff)
	}
	if out["status"] != "degraded" || out["up"] != 2 || out["total"] != 5 {
		t.Errorf("overall %v %v/%v", out["status"], out["up"], out["total"])
	}
	list := out["nodes"].([]any)
	ignore := cmpopts.IgnoreMapEntries(func(k string, _ any) bool { return k == "latency_ms" })
	wantWeb2 := map[string]any{"name": "web-2", "status": "down", "error": "HTTP status 503 Service Unavailable", "url": broken.URL, "http_status": 503, "labels": map[string]any{}}
	if diff := cmp.Diff(wantWeb2, list[1], ignore); diff != "" {
		t.Errorf("web-2 (-want +got):\n%s", diff)
	}
	if e := list[4].(map[string]any)["error"]; e != "connection refused" {
		t.Errorf("db-2 error %v", e)
	}
	if e := list[2].(map[string]any)["error"]; e != "no answer within 3s" {
		t.Errorf("web-3 error %v", e)
	}

	out, err = opstest.Execute(r, context.Background(), "cluster.health", map[string]any{"nodes": nodes, "selector": map[string]any{"role": "web"}})
	if err != nil || out["status"] != "healthy" || out["total"] != 1 {
		t.Errorf("selector: %v %v", out, err)
	}
	out, err = opstest.Execute(r, context.Background(), "cluster.health", map[string]any{"nodes": nodes[1:2]})
	if err != nil || out["status"] != "down" {
		t.Errorf("all down: %v %v", out, err)
	}
	out, err = opstest.Execute(r, context.Background(), "cluster.health", map[string]any{"nodes": nodes, "timeout": "3s", "fail_on": "degraded"})
	if err == nil || ops.ClassOf(err) != ops.ClassExecution || !strings.Contains(err.Error(), "cluster is degraded: 2 of 5 nodes up") || out == nil {
		t.Errorf("fail_on degraded: %v", err)
	}
	if _, err = opstest.Execute(r, context.Background(), "cluster.health", map[string]any{"nodes": nodes, "timeout": "3s", "fail_on": "down"}); err != nil {
		t.Errorf("fail_on down with some up: %v", err)
	}
}

func TestConcurrencyIsBounded(t *testing.T) {
	var inFlight, peak atomic.Int64
	s := server(t, func(w http.ResponseWriter, _ *http.Request) {
		n := inFlight.Add(1)
		defer inFlight.Add(-1)
		for {
			p := peak.Load()
			if n <= p || peak.CompareAndSwap(p, n) {
				break
			}
		}
		time.Sleep(20 * time.Millisecond)
	})
	var nodes []any
	for i := range 20 {
		nodes = append(nodes, map[string]any{"name": fmt.Sprint("n", i), "url": s.URL})
	}
	out, err := opstest.Execute(newRegistry(t), context.Background(), "cluster.health", map[string]any{"nodes": nodes, "concurrency": 4})
	if err != nil || out["status"] != "healthy" {
		t.Fatalf("%v %v", out, err)
	}
	if p := peak.Load(); p > 4 || p < 1 {
		t.Errorf("peak concurrency %d, want at most 4", p)
	}
}

func TestInventory(t *testing.T) {
	r := newRegistry(t)
	up := server(t, ok)
	dir := t.TempDir()
	ctx := ops.WithCall(context.Background(), &ops.Call{Dir: dir})
	write := func(name, body string) {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("map.yaml", fmt.Sprintf("nodes:\n  - name: a\n    url: %s\n    labels: {role: web, tier: 1}\n  - name: b\n    address: %s\n", up.URL, tcpListener(t, "")))
	write("list.yaml", fmt.Sprintf("- {name: a, url: %s}\n", up.URL))
	write("typo.yaml", "nodes:\n  - name: a\n    adress: 127.0.0.1:1\n")
	write("dup.yaml", fmt.Sprintf("- {name: a, url: %s}\n- {name: a, url: %s}\n", up.URL, up.URL))
	write("two.yaml", fmt.Sprintf("- {name: a, url: %s}\n---\n- {name: b, url: %s}\n", up.URL, up.URL))
	write("empty.yaml", "nodes: []\n")
	write("comment.yaml", fmt.Sprintf("# prod web nodes\n- {name: a, url: %s}\n", up.URL))
	write("directive.yaml", fmt.Sprintf("%%YAML 1.1\n---\n- {name: a, url: %s}\n", up.URL))
	write("token.yaml", "ghp_SUPERSECRET0123456789\n")
	write("labels.yaml", fmt.Sprintf("- name: a\n  url: %s\n  labels: {zone: [1, 2], rack: null}\n", up.URL))
	write("alias.yaml", fmt.Sprintf("- &a {name: a, url: %s}\n- {name: b, url: %s}\n- *a\n", up.URL, up.URL))
	write("items.yaml", "nodes:\n  - web-1\n  - {name: b, address: nohost}\n  - {name: 3, url: http://x/}\n")

	for _, f := range []string{"map.yaml", "list.yaml", "comment.yaml", "directive.yaml"} {
		out, err := opstest.Execute(r, ctx, "cluster.health", map[string]any{"inventory": f})
		if err != nil || out["status"] != "healthy" {
			t.Errorf("%s: %v %v", f, out, err)
		}
	}
	for f, want := range map[string]string{
		"typo.yaml":  `typo.yaml:3:5: unknown key "adress" in a node (did you mean "address"?); allowed keys: name, url, address, labels`,
		"dup.yaml":   `dup.yaml:2:10: node name "a" is used twice (first at line 1)`,
		"alias.yaml": `alias.yaml:1:13: in node 3 of the list, through *a at line 3, column 3: node name "a" is used twice (first at line 1)`,
		"two.yaml":   "two.yaml:2:1: a second YAML document follows the first",
		"empty.yaml": "empty.yaml:1:8: lists no nodes",
		"token.yaml": "token.yaml:1:1: the inventory is a string; an inventory lists nodes",
		"labels.yaml": `labels.yaml:3:18: label "zone" must be a string, number or bool, not a list` + "\n" +
			`labels.yaml:3:32: label "rack" must be a string, number or bool, not null`,
		"items.yaml": "items.yaml:2:5: a node must be a mapping like {name: web-1, url: http://10.0.0.1/healthz}, not a string\n" +
			`items.yaml:3:5: node b: address "nohost" is not host:port` + "\n" +
			"items.yaml:4:12: name must be a string, not an integer (3)",
		"missing.yaml": "missing.yaml does not exist (relative paths resolve against the playbook's directory: looked for " + filepath.Join(dir, "missing.yaml") + ")",
	} {
		// A problem is located in the file read, beside the playbook.
		want = strings.ReplaceAll(want, f+":", filepath.Join(dir, f)+":")
		_, err := opstest.Execute(r, ctx, "cluster.health", map[string]any{"inventory": f})
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: %v, want %q", f, err, want)
		}
		if err != nil && (strings.Contains(err.Error(), "cluster.") || strings.Contains(err.Error(), "SUPERSECRET")) {
			t.Errorf("%s: %v names a Go type or quotes the file", f, err)
		}
	}
	_, err := opstest.Execute(r, context.Background(), "cluster.health", map[string]any{"inventory": "/etc/hostname"})
	if !errors.Is(err, ops.ErrDenied) {
		t.Errorf("an inventory outside the roots: %v", err)
	}
}

// TestHostInventory probes the hosts of the ssh.* inventory format: the
// health_url when a host has one, else address:port, with the scalar vars
// as labels for selector; a mistake in that file is reported with its
// position.
func TestHostInventory(t *testing.T) {
	r := newRegistry(t)
	up := server(t, ok)
	dir := t.TempDir()
	ctx := ops.WithCall(context.Background(), &ops.Call{Dir: dir})
	host, port, _ := net.SplitHostPort(tcpListener(t, ""))
	inv := fmt.Sprintf(`version: 1
defaults: {user: deploy}
hosts:
  web-1: {address: 10.255.255.1, health_url: %q, vars: {role: web, weight: 2}}
  db-1: {address: %s, port: %s, vars: {role: db, tags: [x]}}
groups:
  all-web: [web-1]
`, up.URL, host, port)
	if err := os.WriteFile(filepath.Join(dir, "inventory.yaml"), []byte(inv), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := opstest.Execute(r, ctx, "cluster.health", map[string]any{"inventory": "inventory.yaml", "timeout": "5s"})
	if err != nil || out["status"] != "healthy" || out["total"] != 2 {
		t.Fatalf("%v %v", out, err)
	}
	nodes := out["nodes"].([]any)
	if got := nodes[0].(map[string]any)["url"]; got != up.URL {
		t.Errorf("web-1 probed at %v, want its health_url %s", got, up.URL)
	}
	if got := nodes[1].(map[string]any)["address"]; got != net.JoinHostPort(host, port) {
		t.Errorf("db-1 probed at %v, want address:port", got)
	}
	out, err = opstest.Execute(r, ctx, "cluster.health", map[string]any{"inventory": "inventory.yaml", "selector": map[string]any{"role": "db"}})
	if err != nil || out["total"] != 1 {
		t.Errorf("selector role=db: %v %v", out, err)
	}
	if err := os.WriteFile(filepath.Join(dir, "bad.yaml"), []byte("version: 1\nhosts:\n  a: {adress: x}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err = opstest.Execute(r, ctx, "cluster.health", map[string]any{"inventory": "bad.yaml"})
	if err == nil || !strings.Contains(err.Error(), `bad.yaml:3:7: unknown key "adress" in host a`) || ops.ClassOf(err) != ops.ClassValidation {
		t.Errorf("a bad host inventory: %v (class %s)", err, ops.ClassOf(err))
	}
}

func TestTopology(t *testing.T) {
	r := newRegistry(t)
	arsenal := server(t, func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/healthz" {
			w.Header().Set("Content-Type", "application/json")
			io.WriteString(w, `{"status":"ok","version":"1.4.2","ops":42}`)
			return
		}
		io.WriteString(w, "home")
	})
	plain := server(t, ok)
	nodes := []any{
		map[string]any{"name": "runner", "url": arsenal.URL + "/", "labels": map[string]any{"role": "runner", "zone": "a"}},
		map[string]any{"name": "runner-hz", "url": arsenal.URL + "/healthz", "labels": map[string]any{"zone": "b"}},
		map[string]any{"name": "web", "url": strings.Replace(plain.URL, "://", "://u:pw@", 1), "labels": map[string]any{"role": "web", "zone": "a"}},
		map[string]any{"name": "gone", "address": closedAddr(t)},
	}
	out, err := opstest.Execute(r, context.Background(), "cluster.topology", map[string]any{"nodes": nodes})
	if err != nil {
		t.Fatal(err)
	}
	list := out["nodes"].([]any)
	wantArsenal := []any{map[string]any{"version": "1.4.2", "ops": 42}, map[string]any{"version": "1.4.2", "ops": 42}, nil, nil}
	for i, w := range wantArsenal {
		if diff := cmp.Diff(w, list[i].(map[string]any)["arsenal"]); diff != "" {
			t.Errorf("node %d arsenal (-want +got):\n%s", i, diff)
		}
	}
	if u := list[2].(map[string]any)["url"].(string); strings.Contains(u, "pw") {
		t.Errorf("credentials in output: %s", u)
	}
	wantLabels := map[string]any{
		"role": map[string]any{"runner": []any{"runner"}, "web": []any{"web"}},
		"zone": map[string]any{"a": []any{"runner", "web"}, "b": []any{"runner-hz"}},
	}
	if diff := cmp.Diff(wantLabels, out["by_label"]); diff != "" {
		t.Errorf("by_label (-want +got):\n%s", diff)
	}
	if out["status"] != "degraded" || out["up"] != 3 {
		t.Errorf("overall %v %v", out["status"], out["up"])
	}
}

type denyAll struct{}

func (denyAll) AllowDial(string, net.IP) error { return errors.New("not allowed") }

func TestCancelPolicyAndBadParams(t *testing.T) {
	r := newRegistry(t)
	up := server(t, ok)
	nodes := []any{map[string]any{"name": "a", "url": up.URL}}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := opstest.Execute(r, ctx, "cluster.health", map[string]any{"nodes": nodes}); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled: %v", err)
	}
	dctx := ops.WithCall(context.Background(), &ops.Call{Scope: denyAll{}})
	if _, err := opstest.Execute(r, dctx, "cluster.health", map[string]any{"nodes": nodes}); !errors.Is(err, ops.ErrDenied) || ops.ClassOf(err) != ops.ClassAuthorization {
		t.Errorf("policy: %v", err)
	}
	tests := []struct {
		raw  map[string]any
		want string
	}{
		{map[string]any{}, "nodes or inventory, exactly one"},
		{map[string]any{"nodes": nodes, "inventory": "x.yaml"}, "exactly one"},
		{map[string]any{"nodes": []any{}}, "is empty"},
		{map[string]any{"nodes": []any{"web-1"}}, "want a map"},
		{map[string]any{"nodes": []any{map[string]any{"name": "a"}}}, "give url"},
		{map[string]any{"nodes": []any{map[string]any{"name": "a", "url": "ftp://x"}}}, "not an http://"},
		{map[string]any{"nodes": []any{map[string]any{"name": "a", "address": "nohost"}}}, "not host:port"},
		{map[string]any{"nodes": []any{map[string]any{"name": "a", "url": up.URL, "port": 1}}}, `unknown key "port"`},
		{map[string]any{"nodes": []any{map[string]any{"name": "a", "url": up.URL, "labels": map[string]any{"role": nil}}}}, `item 0 (a): label "role": want a string, number or bool, got null`},
		{map[string]any{"nodes": []any{map[string]any{"name": "a", "url": up.URL, "labels": map[string]any{"zone": []any{1, 2}}}}}, `item 0 (a): label "zone": want a string, number or bool, got list`},
		{map[string]any{"nodes": nodes, "concurrency": 0}, "below the minimum"},
		{map[string]any{"nodes": nodes, "selector": map[string]any{"role": "none"}}, "no node of 1 has role=none; the nodes' labels: none"},
	}
	for _, tc := range tests {
		_, err := opstest.Execute(r, context.Background(), "cluster.health", tc.raw)
		if err == nil || ops.ClassOf(err) != ops.ClassValidation || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v: %v, want a validation error containing %q", tc.raw, err, tc.want)
		}
	}
	e, _ := r.Get("cluster.health")
	if _, err := e.Validate(map[string]any{"nodes": []any{ops.Deferred, map[string]any{"name": ops.Deferred, "url": up.URL}}}, false); err != nil {
		t.Errorf("expressions at load time: %v", err)
	}
}

// BenchmarkClusterHealth probes 100 local HTTP nodes, 32 at a time.
func BenchmarkClusterHealth(b *testing.B) {
	r := newRegistry(b)
	nodes := make([]any, 100)
	for i := range nodes {
		s := server(b, ok)
		nodes[i] = map[string]any{"name": fmt.Sprint("node-", i), "url": s.URL + "/healthz"}
	}
	e, _ := r.Get("cluster.health")
	p, err := e.Validate(map[string]any{"nodes": nodes, "concurrency": 32}, true)
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	b.ResetTimer()
	for b.Loop() {
		out, err := e.Invoke(ctx, p, chaintoken.New())
		if err != nil || out["status"] != "healthy" {
			b.Fatalf("%v %v", out["status"], err)
		}
	}
}

// BenchmarkClusterHealthCold is BenchmarkClusterHealth with new
// connections every time, as the first check of a run makes them.
func BenchmarkClusterHealthCold(b *testing.B) {
	nodes := make([]any, 100)
	for i := range nodes {
		s := server(b, ok)
		nodes[i] = map[string]any{"name": fmt.Sprint("node-", i), "url": s.URL + "/healthz"}
	}
	raw := map[string]any{"nodes": nodes, "concurrency": 32}
	for b.Loop() {
		r := ops.NewRegistry()
		if err := Register(r); err != nil {
			b.Fatal(err)
		}
		out, err := opstest.Execute(r, context.Background(), "cluster.health", raw)
		if err != nil || out["status"] != "healthy" {
			b.Fatalf("%v %v", out["status"], err)
		}
		r.Close()
	}
}

// denyLoopback refuses loopback addresses, looking only at the IP it is
// given, as a scope does.
type denyLoopback struct{}

func (denyLoopback) AllowDial(_ string, ip net.IP) error {
	if ip.IsLoopback() {
		return errors.New("loopback addresses are denied")
	}
	return nil
}

// TestDialPolicyUnspecifiedAddress checks that nodes named by 0.0.0.0 or
// [::], which reach the local host, are seen by the policy as loopback.
func TestDialPolicyUnspecifiedAddress(t *testing.T) {
	r := newRegistry(t)
	up := server(t, ok)
	_, port, _ := net.SplitHostPort(strings.TrimPrefix(up.URL, "http://"))
	_, tport, _ := net.SplitHostPort(tcpListener(t, ""))
	var nodes []any
	for i, host := range []string{"0.0.0.0", "[::]", "[::ffff:0.0.0.0]"} {
		nodes = append(nodes,
			map[string]any{"name": fmt.Sprintf("url-%d", i), "url": "http://" + host + ":" + port + "/"},
			map[string]any{"name": fmt.Sprintf("tcp-%d", i), "address": host + ":" + tport})
	}
	out, err := opstest.Execute(r, context.Background(), "cluster.health", map[string]any{"nodes": nodes})
	if err != nil || out["status"] != "healthy" {
		t.Fatalf("without a policy: %v %v; the addresses should reach the test servers", out, err)
	}
	ctx := ops.WithCall(context.Background(), &ops.Call{Scope: denyLoopback{}})
	for _, n := range nodes {
		_, err := opstest.Execute(r, ctx, "cluster.health", map[string]any{"nodes": []any{n}})
		if !errors.Is(err, ops.ErrDenied) || ops.ClassOf(err) != ops.ClassAuthorization {
			t.Errorf("node %v: %v (class %s), want the loopback denial", n, err, ops.ClassOf(err))
		}
	}
}

// TestDialerTimeoutIsATimeout gives the probe the error of a dialer whose
// own deadline fired before the probe's context: a node that never
// answered is a timeout, not down with "i/o timeout".
func TestDialerTimeoutIsATimeout(t *testing.T) {
	defer func(d func(context.Context, net.Dialer, string, string) (net.Conn, error)) { dialTCP = d }(dialTCP)
	dialTCP = func(context.Context, net.Dialer, string, string) (net.Conn, error) {
		return nil, &net.OpError{Op: "dial", Net: "tcp", Err: os.ErrDeadlineExceeded}
	}
	nodes := []any{map[string]any{"name": "a", "address": "10.0.0.1:80"}}
	out, err := opstest.Execute(newRegistry(t), context.Background(), "cluster.health", map[string]any{"nodes": nodes, "timeout": "1s"})
	if err != nil {
		t.Fatal(err)
	}
	n := out["nodes"].([]any)[0].(map[string]any)
	if n["status"] != "timeout" || n["error"] != "no answer within 1s" {
		t.Errorf("status %v, error %v; want timeout, no answer within 1s", n["status"], n["error"])
	}
}

type fileRoots []string

func (r fileRoots) FileRoots() []string { return r }

// TestTheRunsInventoryIsRead: cluster.health reads its nodes from the
// inventory the run was given (--inventory), which is protected from
// the file operations; only within the caller's roots, as any file.
func TestTheRunsInventoryIsRead(t *testing.T) {
	r := newRegistry(t)
	up := server(t, ok)
	dir := t.TempDir()
	inv := filepath.Join(dir, "inv.yaml")
	body := fmt.Sprintf("version: 1\nhosts:\n  a: {address: 127.0.0.1, health_url: %q}\n", up.URL)
	if err := os.WriteFile(inv, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	fsroot.Protect(inv, fsroot.Inventory)
	ctx := ops.WithCall(context.Background(), &ops.Call{Dir: dir})
	out, err := opstest.Execute(r, ctx, "cluster.health", map[string]any{"inventory": "inv.yaml"})
	if err != nil || out["status"] != "healthy" {
		t.Errorf("the run's inventory: %v %v", out, err)
	}
	elsewhere := ops.WithCall(context.Background(), &ops.Call{Dir: t.TempDir(), Scope: fileRoots{t.TempDir()}})
	if _, err := opstest.Execute(r, elsewhere, "cluster.health", map[string]any{"inventory": inv}); !errors.Is(err, ops.ErrDenied) || !strings.Contains(err.Error(), "outside the allowed file roots") {
		t.Errorf("the run's inventory outside the roots: %v, want it denied", err)
	}
}

// A node that redirects is down, and its error says that the probe does
// not follow redirects and names the host the redirect leads to.
func TestHealthRedirectIsExplained(t *testing.T) {
	r := newRegistry(t)
	away := server(t, func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "https://login.example.com/sso?token=secret", http.StatusFound)
	})
	here := server(t, func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/healthz/", http.StatusMovedPermanently)
	})
	nodes := []any{
		map[string]any{"name": "away", "url": away.URL},
		map[string]any{"name": "here", "url": here.URL + "/healthz"},
	}
	out, err := opstest.Execute(r, context.Background(), "cluster.health", map[string]any{"nodes": nodes})
	if err != nil {
		t.Fatal(err)
	}
	list := out["nodes"].([]any)
	want := map[string]string{
		"away": "HTTP status 302 Found; redirects are not followed (this one leads to https://login.example.com): give the node the URL that answers 2xx itself",
		"here": "HTTP status 301 Moved Permanently; redirects are not followed (this one leads to another path on the same host): give the node the URL that answers 2xx itself",
	}
	for _, n := range list {
		m := n.(map[string]any)
		if m["status"] != "down" || m["error"] != want[m["name"].(string)] {
			t.Errorf("%v: %v %q", m["name"], m["status"], m["error"])
		}
	}
}
