package netcheck

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"math"
	"net"
	"time"

	"github.com/arsenal-run/arsenal-run/internal/short"
	"github.com/arsenal-run/arsenal-run/pkg/ops"
	"github.com/arsenal-run/arsenal-run/pkg/ops/internal/policy"
)

// TLSCert is the net.tls_cert operation.
type TLSCert struct {
	// Now is the clock for days_left; nil means time.Now.
	Now func() time.Time
}

var (
	_ ops.Op             = (*TLSCert)(nil)
	_ ops.ParamValidator = (*TLSCert)(nil)
)

func tlsSpec() ops.Spec {
	return ops.Spec{
		Name: "net.tls_cert",
		Description: "Connect to a TLS server and report its certificate: expiry, days left, subject, issuer and names. " +
			"The step fails when the certificate does not verify (untrusted, expired, wrong name) unless insecure_skip_verify is true, " +
			"in which case the facts are still reported with verified: false; and when fewer than min_days_left days remain.",
		Risk: ops.RiskRead,
		Params: []ops.Param{
			{Name: "address", Type: ops.TypeString, Required: true, Target: ops.TargetAddress, MaxLen: 1024, Description: "host:port; a bare host means port 443"},
			{Name: "server_name", Type: ops.TypeString, MaxLen: 253, Description: "the name to ask for (SNI) and verify against; default the host of address"},
			{Name: "timeout", Type: ops.TypeDuration, Default: "5s", Max: ops.Bound(300), Description: "limit for connecting and the handshake"},
			{Name: "insecure_skip_verify", Type: ops.TypeBool, Default: false, Description: "report the certificate even when it does not verify, e.g. a self-signed one"},
			{Name: "ca_pem", Type: ops.TypeString, MaxLen: 1 << 20, Description: "PEM certificates to trust instead of the system's, for a private CA"},
			{Name: "min_days_left", Type: ops.TypeInteger, Min: ops.Bound(0), Max: ops.Bound(36500), Description: "fail when the certificate expires in fewer days"},
		},
		Output: []ops.Field{
			{Name: "not_after", Type: "string", Description: "expiry, RFC 3339"},
			{Name: "not_before", Type: "string", Description: "start of validity, RFC 3339"},
			{Name: "days_left", Type: "integer", Description: "whole days until expiry; negative once expired"},
			{Name: "expired", Type: "bool"},
			{Name: "subject", Type: "string"},
			{Name: "issuer", Type: "string"},
			{Name: "sans", Type: "list", Description: "DNS names, IP addresses, emails and URIs the certificate covers"},
			{Name: "serial", Type: "string", Description: "serial number in hex"},
			{Name: "verified", Type: "bool", Description: "the chain verifies for server_name against the trusted roots"},
			{Name: "verify_error", Type: "string", Description: "why it does not verify; null when it does"},
			{Name: "tls_version", Type: "string"},
			{Name: "chain_length", Type: "integer", Description: "certificates the server sent"},
		},
	}
}

// ValidateParams checks the address and the PEM.
func (*TLSCert) ValidateParams(p ops.Params, _ bool) error {
	if err := checkAddress(p, "address", "443"); err != nil {
		return err
	}
	if p.Known("ca_pem") && !x509.NewCertPool().AppendCertsFromPEM([]byte(p.String("ca_pem"))) {
		return &ops.ParamError{Param: "ca_pem", Msg: "holds no PEM certificate (-----BEGIN CERTIFICATE-----)"}
	}
	return nil
}

// Execute connects, reads the certificate, and verifies it.
func (op *TLSCert) Execute(ctx context.Context, p ops.Params) (map[string]any, error) {
	host, port, err := splitAddress(p.String("address"), "443")
	if err != nil {
		return nil, ops.Errorf(ops.ClassValidation, "param address: %v", err)
	}
	addr := net.JoinHostPort(host, port)
	name := p.String("server_name")
	if name == "" {
		name = host
	}
	timeout := p.Duration("timeout")
	hctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	raw, err := policy.DialContext(hctx, net.Dialer{}, "tcp", addr)
	if err != nil {
		return nil, op.fail(ctx, hctx, err, addr, timeout)
	}
	defer raw.Close()
	// Verification is done below, by hand, so that the facts can be
	// reported even for a certificate that does not verify.
	conn := tls.Client(raw, &tls.Config{ServerName: name, InsecureSkipVerify: true}) //nolint:gosec // verified below
	if err := conn.HandshakeContext(hctx); err != nil {
		if _, ok := errors.AsType[tls.RecordHeaderError](err); ok {
			err = fmt.Errorf("%w; the port does not speak TLS (plain HTTP, SSH, a STARTTLS protocol): check the port", err)
		}
		return nil, op.fail(ctx, hctx, fmt.Errorf("TLS handshake: %w", err), addr, timeout)
	}
	state := conn.ConnectionState()
	if len(state.PeerCertificates) == 0 {
		return nil, ops.Errorf(ops.ClassExecution, "%s sent no certificate", addr)
	}
	leaf := state.PeerCertificates[0]
	verr := verify(state.PeerCertificates, name, p.String("ca_pem"))
	now := time.Now
	if op.Now != nil {
		now = op.Now
	}
	days := int(math.Floor(leaf.NotAfter.Sub(now()).Hours() / 24))
	out := map[string]any{
		"not_after":    leaf.NotAfter.UTC().Format(time.RFC3339),
		"not_before":   leaf.NotBefore.UTC().Format(time.RFC3339),
		"days_left":    days,
		"expired":      now().After(leaf.NotAfter),
		"subject":      leaf.Subject.String(),
		"issuer":       leaf.Issuer.String(),
		"sans":         sans(leaf),
		"serial":       fmt.Sprintf("%x", leaf.SerialNumber),
		"verified":     verr == nil,
		"verify_error": nil,
		"tls_version":  tls.VersionName(state.Version),
		"chain_length": len(state.PeerCertificates),
	}
	if verr != nil {
		out["verify_error"] = verr.Error()
		if !p.Bool("insecure_skip_verify") {
			return out, ops.Errorf(ops.ClassExecution, "the certificate of %s does not verify for %s: %v; %s", addr, name, verr, verifyHint(verr, p.Known("ca_pem")))
		}
	}
	if p.Known("min_days_left") && days < p.Int("min_days_left") {
		return out, ops.Errorf(ops.ClassExecution, "the certificate of %s expires %s, in %d days (min_days_left %d)", addr, out["not_after"], days, p.Int("min_days_left"))
	}
	return out, nil
}

func (*TLSCert) fail(ctx, hctx context.Context, err error, addr string, timeout time.Duration) error {
	switch {
	case ctx.Err() != nil:
		return context.Cause(ctx)
	case errors.Is(err, ops.ErrDenied):
		return ops.WithClass(ops.ClassAuthorization, err)
	case hctx.Err() != nil:
		return ops.Errorf(ops.ClassExecution, "%s: no TLS handshake within %s (param timeout)", addr, short.Duration(timeout))
	}
	return ops.Errorf(ops.ClassExecution, "%s: %s%s", addr, dialError(err), refusedHint(err))
}

// verifyHint says what to do about a certificate that does not verify,
// fitted to why: one of a private CA is checked with ca_pem, one for other
// names with server_name; insecure_skip_verify reports any of them, and
// it alone an expired one.
func verifyHint(err error, caGiven bool) string {
	const anyway = "insecure_skip_verify: true reports it anyway"
	switch {
	case errors.As(err, new(x509.UnknownAuthorityError)) && caGiven:
		return "no certificate in ca_pem issued it: give the CA named as its issuer, or " + anyway
	case errors.As(err, new(x509.UnknownAuthorityError)):
		return "if it comes from your own CA, give that CA's PEM in ca_pem; " + anyway
	case errors.As(err, new(x509.HostnameError)):
		return "set server_name to one of the names it covers (sans in the output), or " + anyway
	}
	return "set insecure_skip_verify: true to report it anyway"
}

// verify checks the chain for name against the system roots, or against
// caPEM when it is set.
func verify(certs []*x509.Certificate, name, caPEM string) error {
	opts := x509.VerifyOptions{DNSName: name, Intermediates: x509.NewCertPool()}
	if caPEM != "" {
		opts.Roots = x509.NewCertPool()
		opts.Roots.AppendCertsFromPEM([]byte(caPEM))
	}
	for _, c := range certs[1:] {
		opts.Intermediates.AddCert(c)
	}
	_, err := certs[0].Verify(opts)
	return err
}

func sans(c *x509.Certificate) []any {
	out := []any{}
	for _, n := range c.DNSNames {
		out = append(out, n)
	}
	for _, ip := range c.IPAddresses {
		out = append(out, ip.String())
	}
	for _, e := range c.EmailAddresses {
		out = append(out, e)
	}
	for _, u := range c.URIs {
		out = append(out, u.String())
	}
	return out
}
