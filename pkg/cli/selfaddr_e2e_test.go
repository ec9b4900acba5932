package cli

import (
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"path/filepath"
	"strings"
	"testing"

	"github.com/arsenal-run/arsenal-run/pkg/report"
)

// TestE2EDenyLoopbackHostAddress checks that a role with deny_loopback
// cannot reach a service bound to 0.0.0.0 (or ::) through the host's own
// non-loopback address, which reaches it as 127.0.0.1 does.
func TestE2EDenyLoopbackHostAddress(t *testing.T) {
	list, err := net.InterfaceAddrs()
	if err != nil {
		t.Fatal(err)
	}
	var addrs []netip.Addr
	for _, a := range list {
		if n, ok := a.(*net.IPNet); ok {
			addr, ok := netip.AddrFromSlice(n.IP)
			if addr = addr.Unmap(); ok && !addr.IsLoopback() && !addr.IsLinkLocalUnicast() {
				addrs = append(addrs, addr)
			}
		}
	}
	if len(addrs) == 0 {
		t.Skip("this host has no address besides loopback and link-local")
	}
	handler := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, "internal") })
	ports := map[bool]string{} // by Is4
	for _, l := range []struct {
		network, addr string
		v4            bool
	}{{"tcp4", "0.0.0.0:0", true}, {"tcp6", "[::]:0", false}} {
		ln, err := net.Listen(l.network, l.addr)
		if err != nil {
			continue // no IPv6 here: its addresses are not tried
		}
		srv := &http.Server{Handler: handler}
		go srv.Serve(ln)
		defer srv.Close()
		_, ports[l.v4], _ = net.SplitHostPort(ln.Addr().String())
	}
	dir := t.TempDir()
	policy := e2eFile(t, dir, "policy.yaml", `version: 1
roles:
  web:
    inherits: [operator]
    http: {deny_loopback: true}
`)
	pb := writePlaybook(t, dir, "dial.yaml", `version: 1
name: dial
inputs:
  hostport: {type: string}
steps:
  - {id: http, needs: [], op: http.request, with: {url: "http://${{ inputs.hostport }}/"}}
  - {id: tcp, needs: [], op: net.tcp_check, with: {address: "${{ inputs.hostport }}", expect: reachable}}
`)
	tried := 0
	for _, a := range addrs {
		port, ok := ports[a.Is4()]
		if !ok {
			continue
		}
		tried++
		hostport := net.JoinHostPort(a.String(), port)
		rep := filepath.Join(dir, "open.json")
		res := runBuilt(t, "run", pb, "--role", "admin", "--policy", policy, "--input", "hostport="+hostport, "--report", rep)
		if res.code != ExitOK {
			t.Fatalf("%s as admin: exit %d; the address should reach the test server\n%s", hostport, res.code, res.stderr)
		}
		if out, _ := stepRecord(t, readReport(t, rep), "http").Output.(map[string]any); out["body"] != "internal" {
			t.Fatalf("%s as admin: http output %v", hostport, out)
		}
		rep = filepath.Join(dir, "denied.json")
		res = runBuilt(t, "run", pb, "--role", "web", "--policy", policy, "--input", "hostport="+hostport, "--report", rep)
		if res.code != ExitDenied {
			t.Errorf("%s under deny_loopback: exit %d, want %d\n%s", hostport, res.code, ExitDenied, res.stderr)
		}
		r := readReport(t, rep)
		for _, id := range []string{"http", "tcp"} {
			s := stepRecord(t, r, id)
			if s.Status != report.StatusDenied || s.Error == nil || !strings.Contains(s.Error.Message, "address of this host") {
				t.Errorf("%s %s: %s %+v, want denied as this host's address", hostport, id, s.Status, s.Error)
			}
		}
	}
	if tried == 0 {
		t.Skip("no listener could be opened for this host's address families")
	}
}
