package netcheck

import (
	"context"
	"encoding/pem"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"go.uber.org/goleak"

	"github.com/arsenal-run/arsenal-run/pkg/ops"
	"github.com/arsenal-run/arsenal-run/pkg/ops/internal/opstest"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func newRegistry(t *testing.T) *ops.Registry {
	t.Helper()
	r := ops.NewRegistry()
	if err := Register(r); err != nil {
		t.Fatal(err)
	}
	return r
}

// listener accepts and holds connections until the test ends.
func listener(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		var conns []net.Conn
		defer func() {
			for _, c := range conns {
				c.Close()
			}
		}()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			conns = append(conns, c)
		}
	}()
	t.Cleanup(func() { ln.Close(); <-done })
	return ln.Addr().String()
}

// closedPort returns a loopback address nothing listens on.
func closedPort(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

func TestTCPCheck(t *testing.T) {
	r := newRegistry(t)
	open, closed := listener(t), closedPort(t)
	ignore := cmpopts.IgnoreMapEntries(func(k string, _ any) bool { return k == "latency_ms" })
	tests := []struct {
		name    string
		raw     map[string]any
		want    map[string]any
		wantErr string
	}{
		{"open", map[string]any{"address": open},
			map[string]any{"reachable": true, "error": nil, "address": open, "remote": open}, ""},
		{"closed is a result", map[string]any{"address": closed},
			map[string]any{"reachable": false, "error": "connection refused", "address": closed, "remote": nil}, ""},
		{"closed with expect reachable", map[string]any{"address": closed, "expect": "reachable"},
			map[string]any{"reachable": false, "error": "connection refused", "address": closed, "remote": nil}, "is not reachable: connection refused (expect: reachable); nothing listens on that port: check the port in address, and that the service runs"},
		{"open with expect unreachable", map[string]any{"address": open, "expect": "unreachable"},
			map[string]any{"reachable": true, "error": nil, "address": open, "remote": open}, "accepts connections"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			out, err := opstest.Execute(r, context.Background(), "net.tcp_check", tc.raw)
			if tc.wantErr == "" && err != nil || tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)) {
				t.Errorf("error %v, want %q", err, tc.wantErr)
			}
			if diff := cmp.Diff(tc.want, out, ignore); diff != "" {
				t.Errorf("output (-want +got):\n%s", diff)
			}
			if l, ok := out["latency_ms"].(float64); !ok || l < 0 {
				t.Errorf("latency_ms = %v", out["latency_ms"])
			}
		})
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := opstest.Execute(r, ctx, "net.tcp_check", map[string]any{"address": open}); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled: %v", err)
	}
	for _, bad := range []string{"no-port", "host:", ":80", "a b:80"} {
		if _, err := opstest.Execute(r, context.Background(), "net.tcp_check", map[string]any{"address": bad}); ops.ClassOf(err) != ops.ClassValidation {
			t.Errorf("address %q: %v", bad, err)
		}
	}
}

type denyAll struct{}

func (denyAll) AllowDial(string, net.IP) error { return errors.New("not in the allowed networks") }

func TestDialPolicy(t *testing.T) {
	r := newRegistry(t)
	ctx := ops.WithCall(context.Background(), &ops.Call{Scope: denyAll{}})
	for _, tc := range []struct{ op, addr string }{{"net.tcp_check", listener(t)}, {"net.tls_cert", listener(t)}} {
		_, err := opstest.Execute(r, ctx, tc.op, map[string]any{"address": tc.addr})
		if !errors.Is(err, ops.ErrDenied) || ops.ClassOf(err) != ops.ClassAuthorization {
			t.Errorf("%s: %v, want an authorization error", tc.op, err)
		}
	}
}

func TestDNSLookup(t *testing.T) {
	r := newRegistry(t)
	out, err := opstest.Execute(r, context.Background(), "net.dns_lookup", map[string]any{"name": "localhost"})
	if err != nil {
		t.Fatal(err)
	}
	addrs := out["addresses"].([]any)
	found := false
	for _, a := range addrs {
		found = found || a == "127.0.0.1" || a == "::1"
	}
	if !found || len(out["records"].([]any)) != 0 {
		t.Errorf("localhost resolved to %v", out)
	}
	out, err = opstest.Execute(r, context.Background(), "net.dns_lookup", map[string]any{"name": "localhost", "type": "ip4"})
	if err != nil || cmp.Diff([]any{"127.0.0.1"}, out["addresses"]) != "" {
		t.Errorf("ip4: %v %v", out, err)
	}
	if _, err := opstest.Execute(r, context.Background(), "net.dns_lookup", map[string]any{"name": "bad name"}); ops.ClassOf(err) != ops.ClassValidation {
		t.Errorf("bad name: %v", err)
	}
}

// nxdomain answers every DNS query over UDP on loopback with "no such name".
func nxdomain(t *testing.T) *net.Resolver {
	t.Helper()
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		buf := make([]byte, 512)
		for {
			n, addr, err := pc.ReadFrom(buf)
			if err != nil {
				return
			}
			if n < 12 {
				continue
			}
			resp := append([]byte{}, buf[:n]...)
			resp[2], resp[3] = 0x81, 0x83 // response, recursion, NXDOMAIN
			resp[6], resp[7], resp[8], resp[9], resp[10], resp[11] = 0, 0, 0, 0, 0, 0
			pc.WriteTo(resp, addr)
		}
	}()
	t.Cleanup(func() { pc.Close(); <-done })
	return &net.Resolver{PreferGo: true, Dial: func(ctx context.Context, _, _ string) (net.Conn, error) {
		var d net.Dialer
		return d.DialContext(ctx, "udp", pc.LocalAddr().String())
	}}
}

func TestDNSLookupNotFound(t *testing.T) {
	r := ops.NewRegistry()
	if err := r.Register(dnsSpec(), &DNSLookup{Resolver: nxdomain(t)}); err != nil {
		t.Fatal(err)
	}
	_, err := opstest.Execute(r, context.Background(), "net.dns_lookup", map[string]any{"name": "nothing.example.test", "timeout": "2s"})
	if err == nil || ops.ClassOf(err) != ops.ClassExecution || !strings.Contains(err.Error(), "no ip records found") {
		t.Errorf("not found: %v", err)
	}
}

func TestTLSCert(t *testing.T) {
	s := httptest.NewTLSServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	defer s.Close()
	addr := strings.TrimPrefix(s.URL, "https://")
	caPEM := string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: s.Certificate().Raw}))
	r := newRegistry(t)

	out, err := opstest.Execute(r, context.Background(), "net.tls_cert", map[string]any{"address": addr})
	if err == nil || !strings.Contains(err.Error(), "insecure_skip_verify") || out["verified"] != false {
		t.Errorf("self-signed without insecure_skip_verify: %v %v", out, err)
	}
	out, err = opstest.Execute(r, context.Background(), "net.tls_cert", map[string]any{"address": addr, "insecure_skip_verify": true})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]any{
		"not_after": "2084-01-29T16:00:00Z", "not_before": "1970-01-01T00:00:00Z", "expired": false,
		"subject": "O=Acme Co", "issuer": "O=Acme Co", "sans": []any{"example.com", "*.example.com", "127.0.0.1", "::1"},
		"verified": false, "tls_version": "TLS 1.3", "chain_length": 1,
	}
	ignore := cmpopts.IgnoreMapEntries(func(k string, _ any) bool {
		return k == "days_left" || k == "serial" || k == "verify_error"
	})
	if diff := cmp.Diff(want, out, ignore); diff != "" {
		t.Errorf("certificate facts (-want +got):\n%s", diff)
	}
	if d := out["days_left"].(int); d < 365 {
		t.Errorf("days_left = %d", d)
	}
	for _, name := range []string{"", "example.com"} {
		raw := map[string]any{"address": addr, "ca_pem": caPEM}
		if name != "" {
			raw["server_name"] = name
		}
		out, err = opstest.Execute(r, context.Background(), "net.tls_cert", raw)
		if err != nil || out["verified"] != true || out["verify_error"] != nil {
			t.Errorf("trusted via ca_pem, server_name %q: %v %v", name, out, err)
		}
	}
	_, err = opstest.Execute(r, context.Background(), "net.tls_cert", map[string]any{"address": addr, "ca_pem": caPEM, "server_name": "other.test"})
	if err == nil || !strings.Contains(err.Error(), "other.test") {
		t.Errorf("wrong name: %v", err)
	}

	late := ops.NewRegistry()
	soon := time.Date(2084, 1, 10, 0, 0, 0, 0, time.UTC)
	if err := late.Register(tlsSpec(), &TLSCert{Now: func() time.Time { return soon }}); err != nil {
		t.Fatal(err)
	}
	out, err = opstest.Execute(late, context.Background(), "net.tls_cert", map[string]any{"address": addr, "ca_pem": caPEM, "min_days_left": 30})
	if err == nil || !strings.Contains(err.Error(), "in 19 days (min_days_left 30)") || out["days_left"] != 19 {
		t.Errorf("min_days_left: %v %v", out, err)
	}
	if _, err := opstest.Execute(r, context.Background(), "net.tls_cert", map[string]any{"address": addr, "ca_pem": "not pem"}); ops.ClassOf(err) != ops.ClassValidation {
		t.Errorf("bad ca_pem: %v", err)
	}
}

func TestTLSCertHandshakeTimeout(t *testing.T) {
	r := newRegistry(t)
	start := time.Now()
	_, err := opstest.Execute(r, context.Background(), "net.tls_cert", map[string]any{"address": listener(t), "timeout": "300ms"})
	if err == nil || !strings.Contains(err.Error(), "no TLS handshake within 300ms") {
		t.Errorf("a server that never answers: %v", err)
	}
	if time.Since(start) > 10*time.Second {
		t.Errorf("took %v", time.Since(start))
	}
	if _, err := opstest.Execute(r, context.Background(), "net.tls_cert", map[string]any{"address": closedPort(t)}); err == nil || !strings.Contains(err.Error(), "connection refused; nothing listens on that port: check the port in address") {
		t.Errorf("closed port: %v", err)
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

// TestDialPolicyUnspecifiedAddress checks that 0.0.0.0 and [::], which
// reach the local host, are seen by the policy as loopback.
func TestDialPolicyUnspecifiedAddress(t *testing.T) {
	r := newRegistry(t)
	_, port, _ := net.SplitHostPort(listener(t))
	ctx := ops.WithCall(context.Background(), &ops.Call{Scope: denyLoopback{}})
	for _, host := range []string{"0.0.0.0", "::", "::ffff:0.0.0.0"} {
		addr := net.JoinHostPort(host, port)
		out, err := opstest.Execute(r, context.Background(), "net.tcp_check", map[string]any{"address": addr})
		if err != nil || out["reachable"] != true {
			t.Fatalf("%s without a policy: %v %v; the address should reach the listener", addr, out, err)
		}
		for _, op := range []string{"net.tcp_check", "net.tls_cert"} {
			_, err := opstest.Execute(r, ctx, op, map[string]any{"address": addr})
			if !errors.Is(err, ops.ErrDenied) || ops.ClassOf(err) != ops.ClassAuthorization {
				t.Errorf("%s %s: %v (class %s), want the loopback denial", op, addr, err, ops.ClassOf(err))
			}
		}
	}
}

// denyName is a scope whose rules deny one name by name.
type denyName struct{}

func (denyName) AllowDial(string, net.IP) error { return nil }
func (denyName) AllowName(host string) error {
	if host == "localhost" {
		return errors.New("host localhost is denied by \"localhost\"")
	}
	return nil
}

// TestDNSLookupOfADeniedName: a name the rules deny by name is not looked
// up: the query would tell it to whoever answers.
func TestDNSLookupOfADeniedName(t *testing.T) {
	r := newRegistry(t)
	ctx := ops.WithCall(context.Background(), &ops.Call{Scope: denyName{}})
	_, err := opstest.Execute(r, ctx, "net.dns_lookup", map[string]any{"name": "localhost."})
	if !errors.Is(err, ops.ErrDenied) || ops.ClassOf(err) != ops.ClassAuthorization {
		t.Fatalf("%v (class %s)", err, ops.ClassOf(err))
	}
}

// TestDialerTimeoutSaysNoAnswer gives net.tcp_check the error of a dialer
// whose own deadline fired before the step's context: the message says
// the timeout, as when the context ends first.
func TestDialerTimeoutSaysNoAnswer(t *testing.T) {
	defer func(d func(context.Context, net.Dialer, string, string) (net.Conn, error)) { dialTCP = d }(dialTCP)
	dialTCP = func(context.Context, net.Dialer, string, string) (net.Conn, error) {
		return nil, &net.OpError{Op: "dial", Net: "tcp", Err: os.ErrDeadlineExceeded}
	}
	out, err := opstest.Execute(newRegistry(t), context.Background(), "net.tcp_check", map[string]any{"address": "10.0.0.1:80", "timeout": "1s"})
	if err != nil {
		t.Fatal(err)
	}
	if out["reachable"] != false || out["error"] != "no answer within 1s" {
		t.Errorf("reachable %v, error %v; want false, no answer within 1s", out["reachable"], out["error"])
	}
}
