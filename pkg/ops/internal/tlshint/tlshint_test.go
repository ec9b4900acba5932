package tlshint

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"fmt"
	"math/big"
	"net"
	"strings"
	"syscall"
	"testing"
	"time"
)

// handshake dials a TLS server on loopback whose certificate, trusted by
// the client, is valid from notBefore to notAfter, and returns the
// client's error.
func handshake(t *testing.T, notBefore, notAfter time.Time) error {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "127.0.0.1"},
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, NotBefore: notBefore, NotAfter: notAfter,
		KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign, BasicConstraintsValid: true, IsCA: true,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	l, err := tls.Listen("tcp", "127.0.0.1:0", &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key}}})
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	defer func() { l.Close(); <-done }()
	go func() {
		defer close(done)
		c, err := l.Accept()
		if err != nil {
			return
		}
		_ = c.(*tls.Conn).Handshake()
		c.Close()
	}()
	roots := x509.NewCertPool()
	roots.AddCert(leaf)
	c, err := tls.Dial("tcp", l.Addr().String(), &tls.Config{RootCAs: roots})
	if err == nil {
		c.Close()
		t.Fatal("the handshake succeeded")
	}
	return err
}

// TestHintOfACertificateOutOfItsDates: an expired certificate is renewed
// where it is served, and one not valid yet points to the clocks; both
// were told to set insecure_skip_verify, or, where it is not offered,
// that the certificate be renewed, or nothing.
func TestHintOfACertificateOutOfItsDates(t *testing.T) {
	now := time.Now()
	expired := handshake(t, now.Add(-48*time.Hour), now.Add(-24*time.Hour))
	notYet := handshake(t, now.Add(24*time.Hour), now.Add(48*time.Hour))
	skip := Words{Peer: "the server", Where: "the URL", SkipVerify: true}
	node := Words{Peer: "the node", Where: "the node's URL"}
	for _, c := range []struct {
		name      string
		err       error
		w         Words
		want, not []string
	}{
		{"expired", expired, skip, []string{"the certificate of the server has expired: renew it on the server", "insecure_skip_verify: true accepts it, for tests only"}, []string{"clock"}},
		{"expired node", expired, node, []string{"the certificate of the node has expired: renew it on the node"}, []string{"insecure_skip_verify"}},
		{"not yet valid", notYet, skip, []string{"the certificate of the server is not valid yet: check this machine's clock"}, []string{"insecure_skip_verify", "renew"}},
	} {
		h := Hint(c.err, c.w)
		for _, w := range c.want {
			if !strings.Contains(h, w) {
				t.Errorf("%s: want %q in hint %q (error %v)", c.name, w, h, c.err)
			}
		}
		for _, n := range c.not {
			if strings.Contains(h, n) {
				t.Errorf("%s: %q should not be in hint %q", c.name, n, h)
			}
		}
	}
}

// TestRecordHintsOnlyWhatTheHandshakeTold: a handshake that met a peer
// asking for a client certificate gives the hint whatever error followed
// (a reset), but not for a timeout, which is no refusal; nor once reset
// for another URL, nor without a record.
func TestRecordHintsOnlyWhatTheHandshakeTold(t *testing.T) {
	w := Words{Peer: "the server", ClientCert: "present one"}
	want := "; the server asks for a client certificate (mutual TLS), and none is presented: present one"
	reset := &net.OpError{Op: "write", Net: "tcp", Err: syscall.ECONNRESET}
	_, r := Watch(context.Background())
	if r.Hint(reset, w) != "" {
		t.Fatal("a hint without a handshake under the record")
	}
	r.asked.Store(true)
	for _, tc := range []struct {
		name string
		r    *Record
		err  error
		want string
	}{
		{"reset", r, reset, want},
		{"timeout", r, fmt.Errorf("dial: %w", context.DeadlineExceeded), ""},
		{"no record", nil, reset, ""},
	} {
		if h := tc.r.Hint(tc.err, w); h != tc.want {
			t.Errorf("%s: hint %q, want %q", tc.name, h, tc.want)
		}
	}
	r.Reset()
	if h := r.Hint(reset, w); h != "" {
		t.Errorf("after Reset: hint %q", h)
	}
}
