// Package netcheck holds the net.* operations that look at the network
// without changing anything: whether a TCP port answers, what a name
// resolves to, and what certificate a TLS server presents.
package netcheck

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net"
	"net/netip"
	"os"
	"strings"
	"syscall"
	"time"

	"github.com/arsenal-run/arsenal-run/internal/short"
	"github.com/arsenal-run/arsenal-run/pkg/ops"
	"github.com/arsenal-run/arsenal-run/pkg/ops/internal/policy"
	portnum "github.com/arsenal-run/arsenal-run/pkg/ops/internal/port"
)

// Register adds net.tcp_check, net.dns_lookup and net.tls_cert to r.
func Register(r *ops.Registry) error {
	for _, d := range []struct {
		spec ops.Spec
		op   ops.Op
	}{
		{tcpSpec(), &TCPCheck{}},
		{dnsSpec(), &DNSLookup{}},
		{tlsSpec(), &TLSCert{}},
	} {
		if err := r.Register(d.spec, d.op); err != nil {
			return err
		}
	}
	return nil
}

// checkAddress validates a host:port param; with defaultPort, a bare host
// is accepted too.
func checkAddress(p ops.Params, name, defaultPort string) error {
	if !p.Known(name) {
		return nil
	}
	if _, _, err := splitAddress(p.String(name), defaultPort); err != nil {
		return &ops.ParamError{Param: name, Msg: err.Error()}
	}
	return nil
}

func splitAddress(addr, defaultPort string) (host, port string, err error) {
	host, port, err = net.SplitHostPort(addr)
	if err != nil && defaultPort != "" && !strings.Contains(strings.Trim(addr, "[]"), ":") {
		host, port, err = strings.Trim(addr, "[]"), defaultPort, nil
	}
	if err != nil || host == "" || port == "" || strings.ContainsAny(host, " \t\r\n\x00/") {
		return "", "", fmt.Errorf("%q is not host:port, like db.internal:5432 or 10.0.0.5:443", addr)
	}
	if err := portnum.Check(port); err != nil {
		return "", "", fmt.Errorf("%q: %w", addr, err)
	}
	return host, port, nil
}

// ms turns a duration into milliseconds with two decimals.
func ms(d time.Duration) float64 {
	return math.Round(float64(d)/float64(time.Millisecond)*100) / 100
}

// TCPCheck is the net.tcp_check operation.
type TCPCheck struct{}

var (
	_ ops.Op             = (*TCPCheck)(nil)
	_ ops.ParamValidator = (*TCPCheck)(nil)
)

func tcpSpec() ops.Spec {
	return ops.Spec{
		Name: "net.tcp_check",
		Description: "Check whether a TCP port accepts connections. By default an unreachable port is a result (reachable: false), not a failure, " +
			"so a step can branch on it or retry until it is up; set expect: reachable (or unreachable) to make the step fail otherwise.",
		Risk: ops.RiskRead,
		Params: []ops.Param{
			{Name: "address", Type: ops.TypeString, Required: true, Target: ops.TargetAddress, MaxLen: 1024, Description: "host:port, e.g. db.internal:5432"},
			{Name: "timeout", Type: ops.TypeDuration, Default: "5s", Max: ops.Bound(300), Description: "how long to wait for the connection"},
			{Name: "expect", Type: ops.TypeString, Default: "any", Enum: []any{"any", "reachable", "unreachable"},
				Description: "any: never fail on the result; reachable: fail when the port does not answer; unreachable: fail when it does"},
		},
		Output: []ops.Field{
			{Name: "reachable", Type: "bool"},
			{Name: "latency_ms", Type: "number", Description: "time to connect, or to give up"},
			{Name: "error", Type: "string", Description: "why it is not reachable; null when it is"},
			{Name: "address", Type: "string", Description: "the address checked"},
			{Name: "remote", Type: "string", Description: "the IP and port connected to; null when unreachable"},
		},
	}
}

// ValidateParams checks the address.
func (*TCPCheck) ValidateParams(p ops.Params, _ bool) error { return checkAddress(p, "address", "") }

// Execute connects and closes at once.
func (*TCPCheck) Execute(ctx context.Context, p ops.Params) (map[string]any, error) {
	addr, timeout := p.String("address"), p.Duration("timeout")
	out, hint, err := probeTCP(ctx, addr, timeout)
	if err != nil {
		return nil, err
	}
	switch p.String("expect") {
	case "reachable":
		if out["reachable"] != true {
			return out, ops.Errorf(ops.ClassExecution, "%s is not reachable: %v (expect: reachable)%s", addr, out["error"], hint)
		}
	case "unreachable":
		if out["reachable"] == true {
			return out, ops.Errorf(ops.ClassExecution, "%s accepts connections (expect: unreachable)", addr)
		}
	}
	return out, nil
}

// dialTCP connects for net.tcp_check; tests replace it to give the
// errors of a dial that timing alone would make rare.
var dialTCP = policy.DialContext

// probeTCP connects to addr within timeout and reports what happened as a
// net.tcp_check output. A refused or timed-out connection is a result; the
// error is for a cancelled ctx or a connection the caller's network policy
// refuses. The string is refusedHint's, for an error that names addr.
func probeTCP(ctx context.Context, addr string, timeout time.Duration) (map[string]any, string, error) {
	_, _, err := splitAddress(addr, "")
	if err != nil {
		return nil, "", ops.Errorf(ops.ClassValidation, "param address: %v", err)
	}
	pctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	start := time.Now()
	conn, err := dialTCP(pctx, net.Dialer{}, "tcp", addr)
	latency := ms(time.Since(start))
	if err == nil {
		remote := conn.RemoteAddr().String()
		conn.Close()
		return map[string]any{"reachable": true, "latency_ms": latency, "error": nil, "address": addr, "remote": remote}, "", nil
	}
	switch {
	case ctx.Err() != nil:
		return nil, "", context.Cause(ctx)
	case errors.Is(err, ops.ErrDenied):
		return nil, "", ops.WithClass(ops.ClassAuthorization, err)
	}
	msg := dialError(err)
	if pctx.Err() != nil || policy.TimedOut(err) {
		msg = fmt.Sprintf("no answer within %s", short.Duration(timeout))
	}
	return map[string]any{"reachable": false, "latency_ms": latency, "error": msg, "address": addr, "remote": nil}, refusedHint(err), nil
}

// refusedHint says, for a refused connection, what to check: the port in
// address, and that the service runs. The output's error stays the
// system's words ("connection refused"), which conditions may compare.
func refusedHint(err error) string {
	if !errors.Is(err, syscall.ECONNREFUSED) {
		return ""
	}
	return "; nothing listens on that port: check the port in address, and that the service runs"
}

// dialError shortens a dial error to its cause, like "connection refused".
func dialError(err error) string {
	var oe *net.OpError
	if errors.As(err, &oe) && oe.Err != nil {
		err = oe.Err
	}
	var se *os.SyscallError
	if errors.As(err, &se) {
		err = se.Err
	}
	return err.Error()
}

// DNSLookup is the net.dns_lookup operation.
type DNSLookup struct {
	// Resolver is used for lookups; nil means net.DefaultResolver.
	Resolver *net.Resolver
}

var (
	_ ops.Op             = (*DNSLookup)(nil)
	_ ops.ParamValidator = (*DNSLookup)(nil)
)

func dnsSpec() ops.Spec {
	return ops.Spec{
		Name: "net.dns_lookup",
		Description: "Resolve a name with the system resolver (hosts file included). A name that does not resolve fails the step. " +
			"type ip/ip4/ip6 fills addresses; cname, mx, txt and ns fill records.",
		Risk: ops.RiskRead,
		Params: []ops.Param{
			{Name: "name", Type: ops.TypeString, Required: true, Target: ops.TargetLookup, MaxLen: 253, Description: "the name to resolve, e.g. api.example.com"},
			{Name: "type", Type: ops.TypeString, Default: "ip", Enum: []any{"ip", "ip4", "ip6", "cname", "mx", "txt", "ns"}, Description: "what to look up"},
			{Name: "timeout", Type: ops.TypeDuration, Default: "5s", Max: ops.Bound(300), Description: "limit for the lookup"},
		},
		Output: []ops.Field{
			{Name: "addresses", Type: "list", Description: "IP addresses, for type ip, ip4 and ip6"},
			{Name: "records", Type: "list", Description: "names or texts, for cname, mx (\"preference host\"), txt and ns"},
			{Name: "name", Type: "string"},
		},
	}
}

// ValidateParams checks the name.
func (*DNSLookup) ValidateParams(p ops.Params, _ bool) error {
	if p.Known("name") {
		n := p.String("name")
		if n == "" || strings.ContainsAny(n, " \t\r\n\x00/") {
			return &ops.ParamError{Param: "name", Msg: fmt.Sprintf("%q is not a host name", n)}
		}
	}
	return nil
}

// Execute resolves the name.
func (op *DNSLookup) Execute(ctx context.Context, p ops.Params) (map[string]any, error) {
	name, typ := p.String("name"), p.String("type")
	// A name the caller's rules deny by name is not looked up either: the
	// query itself tells the name to whoever answers it.
	if err := policy.AllowName(ctx, strings.TrimSuffix(name, ".")); err != nil {
		return nil, ops.WithClass(ops.ClassAuthorization, err)
	}
	lctx, cancel := context.WithTimeout(ctx, p.Duration("timeout"))
	defer cancel()
	r := op.Resolver
	if r == nil {
		r = net.DefaultResolver
	}
	addresses, records := []any{}, []any{}
	var err error
	switch typ {
	case "ip", "ip4", "ip6":
		var ips []netip.Addr
		ips, err = r.LookupNetIP(lctx, typ, name)
		seen := map[netip.Addr]bool{}
		for _, ip := range ips {
			if ip = ip.Unmap(); !seen[ip] {
				seen[ip] = true
				addresses = append(addresses, ip.String())
			}
		}
	case "cname":
		var c string
		if c, err = r.LookupCNAME(lctx, name); err == nil {
			records = append(records, c)
		}
	case "mx":
		var mxs []*net.MX
		mxs, err = r.LookupMX(lctx, name)
		for _, m := range mxs {
			records = append(records, fmt.Sprintf("%d %s", m.Pref, m.Host))
		}
	case "txt":
		var txts []string
		txts, err = r.LookupTXT(lctx, name)
		for _, t := range txts {
			records = append(records, t)
		}
	case "ns":
		var nss []*net.NS
		nss, err = r.LookupNS(lctx, name)
		for _, n := range nss {
			records = append(records, n.Host)
		}
	}
	if err != nil {
		if ctx.Err() != nil {
			return nil, context.Cause(ctx)
		}
		var de *net.DNSError
		if errors.As(err, &de) && de.IsNotFound {
			return nil, ops.Errorf(ops.ClassExecution, "%s: no %s records found", name, typ)
		}
		if lctx.Err() != nil {
			return nil, ops.Errorf(ops.ClassExecution, "%s: no answer within %s (param timeout)", name, short.Duration(p.Duration("timeout")))
		}
		return nil, ops.Errorf(ops.ClassExecution, "looking up %s: %v", name, err)
	}
	if len(addresses) == 0 && len(records) == 0 {
		return nil, ops.Errorf(ops.ClassExecution, "%s: no %s records found", name, typ)
	}
	return map[string]any{"addresses": addresses, "records": records, "name": name}, nil
}
