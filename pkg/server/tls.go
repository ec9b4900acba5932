package server

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
	"time"

	"github.com/arsenal-run/arsenal-run/internal/fsroot"
	"github.com/arsenal-run/arsenal-run/internal/fsx"
)

// TLSFiles are the TLS settings of serve, read from its certificate, key
// and client CA files, and read again by Reload: a renewed certificate
// is taken in without a restart. Safe for concurrent use.
type TLSFiles struct {
	certFile, keyFile, clientCA string
	base                        *tls.Config
	cur                         atomic.Pointer[tlsLoaded]
}

// tlsLoaded is what one reading of the files gave.
type tlsLoaded struct {
	config *tls.Config
	leaf   *x509.Certificate
	cas    []*x509.Certificate // of the client CA file
}

// LoadTLS reads serve's TLS files: TLS 1.2 or newer with the server's
// certificate and key, and, with clientCA, mutual TLS: every client must
// present a certificate signed by that CA. A verified certificate maps
// to roles through certs: in the keys file (certRule.matches).
func LoadTLS(certFile, keyFile, clientCA string) (*TLSFiles, error) {
	if certFile == "" || keyFile == "" {
		return nil, errors.New("--tls-cert and --tls-key go together: give both")
	}
	t := &TLSFiles{certFile: certFile, keyFile: keyFile, clientCA: clientCA}
	if err := t.Reload(); err != nil {
		return nil, err
	}
	// Each handshake takes the files' latest reading.
	t.base = &tls.Config{MinVersion: tls.VersionTLS12, GetConfigForClient: func(*tls.ClientHelloInfo) (*tls.Config, error) {
		return t.cur.Load().config, nil
	}}
	return t, nil
}

// TLSConfig is LoadTLS's Config, for a server whose files are never read
// again.
func TLSConfig(certFile, keyFile, clientCA string) (*tls.Config, error) {
	t, err := LoadTLS(certFile, keyFile, clientCA)
	if err != nil {
		return nil, err
	}
	return t.Config(), nil
}

// Config returns the settings to serve with (Config.TLS); each new
// connection gets those of the last successful Reload.
func (t *TLSFiles) Config() *tls.Config { return t.base }

// Reload reads the certificate, the key and the client CA again, all or
// nothing: when one of them does not load, or the key is not the
// certificate's, the connections keep those read before and the error
// says which file to fix.
func (t *TLSFiles) Reload() error {
	// A step that read the key could pass for the server; one that wrote
	// the certificate or the client CA would choose what the next reload
	// serves or trusts. Protected again at each reading: a renewal that
	// points a symlink at a new file moves what must be.
	fsroot.Protect(t.keyFile, "TLS key")
	fsroot.Protect(t.certFile, "TLS certificate")
	if t.clientCA != "" {
		fsroot.Protect(t.clientCA, "client CA")
	}
	certPEM, err := readTLSFile("--tls-cert", t.certFile, "the TLS certificate", false)
	if err != nil {
		return err
	}
	keyPEM, err := readTLSFile("--tls-key", t.keyFile, "the TLS key", true)
	if err != nil {
		return err
	}
	cert, err := tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		if bothParse(certPEM, keyPEM) {
			// Each file holds what it should, but not of one pair: a
			// renewal that replaced one file and not (yet) the other.
			return fmt.Errorf("--tls-key %s is not the key of the certificate in --tls-cert %s (%w); give the key the certificate was made for: when renewing, replace both files, then send SIGHUP", t.keyFile, t.certFile, err)
		}
		return fmt.Errorf("--tls-cert %s / --tls-key %s: %w", t.certFile, t.keyFile, err)
	}
	cfg := &tls.Config{MinVersion: tls.VersionTLS12, Certificates: []tls.Certificate{cert}}
	var cas []*x509.Certificate
	if t.clientCA != "" {
		pem, err := readClientCA(t.clientCA)
		if err != nil {
			return err
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return fmt.Errorf("--client-ca %s: no PEM certificate in it", t.clientCA)
		}
		cfg.ClientCAs = pool
		cfg.ClientAuth = tls.RequireAndVerifyClientCert
		cas = pemCertificates(pem)
	}
	leaf := cert.Leaf
	if leaf == nil {
		if leaf, err = x509.ParseCertificate(cert.Certificate[0]); err != nil {
			return fmt.Errorf("--tls-cert %s: %w", t.certFile, err)
		}
	}
	t.cur.Store(&tlsLoaded{config: cfg, leaf: leaf, cas: cas})
	return nil
}

// bothParse says whether certPEM's first certificate and keyPEM's first
// private key each parse, so that a pair that does not load is a key that
// is not the certificate's rather than a file that is not what it should
// be.
func bothParse(certPEM, keyPEM []byte) bool {
	var certDER, keyDER []byte
	for b, rest := pem.Decode(certPEM); b != nil && certDER == nil; b, rest = pem.Decode(rest) {
		if b.Type == "CERTIFICATE" {
			certDER = b.Bytes
		}
	}
	for b, rest := pem.Decode(keyPEM); b != nil && keyDER == nil; b, rest = pem.Decode(rest) {
		if b.Type == "PRIVATE KEY" || strings.HasSuffix(b.Type, " PRIVATE KEY") {
			keyDER = b.Bytes
		}
	}
	if certDER == nil || keyDER == nil {
		return false
	}
	if _, err := x509.ParseCertificate(certDER); err != nil {
		return false
	}
	_, e1 := x509.ParsePKCS8PrivateKey(keyDER)
	_, e2 := x509.ParseECPrivateKey(keyDER)
	_, e3 := x509.ParsePKCS1PrivateKey(keyDER)
	return e1 == nil || e2 == nil || e3 == nil
}

// readClientCA reads the client CA file path. One every user of the host
// may write is refused, as the keys file and the policy are: a CA added
// to it signs certificates with any subject the keys file maps to roles.
// A FIFO is refused, not waited on, which would hold start-up or a
// SIGHUP for good; so is /dev/zero, read without end.
func readClientCA(path string) ([]byte, error) {
	f, err := fsx.Open(path)
	if err != nil {
		return nil, fmt.Errorf("--client-ca: %w; give the path of the CA's PEM file", err)
	}
	defer f.Close()
	if msg := fsx.AnyoneMayWrite(f, path, "the client CA", "add a CA whose certificates pass for any subject the keys file names"); msg != "" {
		return nil, fmt.Errorf("--client-ca %s: %s", path, msg)
	}
	data, err := fsx.ReadOpen(f, path, maxTLSFile)
	if err != nil {
		return nil, fmt.Errorf("--client-ca: %w", err)
	}
	return data, nil
}

// maxTLSFile bounds a TLS certificate, key or client CA file: a bundle of
// a few hundred CAs is a few hundred KiB.
const maxTLSFile = 4 << 20

// tlsCould is what another user who could put a certificate or key of
// their own in place of serve's could do.
const tlsCould = "serve a certificate whose key they hold, to pass for this server to its clients and read the keys and secrets they send"

// readTLSFile reads the certificate or key file path of flag, what (like
// "the TLS key") in errors, refusing what is not a regular file (a FIFO
// would hold start-up or a SIGHUP for good) or is over maxTLSFile, and,
// as the client CA, one another user of the host could change or put a
// file of their own in place of (fsx.AnyoneMayWrite), judged once open.
// A private key every user may read (mode o+r) is refused too, as
// OpenSSH refuses such a key; one its group may read is the owner's
// choice (Debian's ssl-cert group).
func readTLSFile(flag, path, what string, private bool) ([]byte, error) {
	f, err := fsx.Open(path)
	if err != nil {
		return nil, fmt.Errorf("%s: %w; give the path of its PEM file", flag, err)
	}
	defer f.Close()
	if msg := fsx.AnyoneMayWrite(f, path, what, tlsCould); msg != "" {
		return nil, fmt.Errorf("%s %s: %s", flag, path, msg)
	}
	if fi, err := f.Stat(); err == nil && private && fi.Mode().Perm()&0o004 != 0 {
		return nil, fmt.Errorf("%s %s: %s's mode %s lets every user of this host read it, and whoever holds it can pass for this server to its clients and read the keys and secrets they send; "+
			"make it private: chmod o-r %s, and consider the key exposed (replace it and its certificate) if others could log in here", flag, path, what, fsx.Octal(fi.Mode()), path)
	}
	data, err := fsx.ReadOpen(f, path, maxTLSFile)
	if err != nil {
		return nil, fmt.Errorf("%s: %w; give the path of its PEM file", flag, err)
	}
	return data, nil
}

// Warning says what clients will make of the dates of the certificate in
// force at now: that it expired, is not valid yet, or expires within
// notice; "" when none of these. Clients refuse a certificate out of its
// dates at the handshake, so without this a server would serve one
// silently while every client fails.
//
// The client CA's certificates are judged as well: once the CA has
// expired, the handshake refuses every client certificate it signed.
func (t *TLSFiles) Warning(now time.Time, notice time.Duration) string {
	cur := t.cur.Load()
	var out []string
	if msg := t.serverWarning(cur.leaf, now, notice); msg != "" {
		out = append(out, msg)
	}
	for _, ca := range cur.cas {
		if renewedIn(ca, cur.cas, now, notice) {
			continue
		}
		at := ca.NotAfter.UTC().Format(time.RFC3339)
		switch {
		case !now.Before(ca.NotAfter):
			out = append(out, fmt.Sprintf("the client CA %q in --client-ca %s expired at %s, so the handshake refuses every client certificate it signed; put the renewed CA certificate in the file and send SIGHUP", ca.Subject.CommonName, t.clientCA, at))
		case ca.NotAfter.Sub(now) <= notice:
			out = append(out, fmt.Sprintf("the client CA %q in --client-ca %s expires at %s, within %d days, and the handshake will then refuse every client certificate it signed; add the renewed CA certificate to the file before then and send SIGHUP", ca.Subject.CommonName, t.clientCA, at, int(notice.Hours()/24)))
		}
	}
	return strings.Join(out, "; ")
}

// renewedIn says whether cas holds a renewal of ca that stands beyond
// notice: the same subject and key, valid now, ending later. The
// handshake then verifies the client certificates ca signed through the
// renewal, so ca's end costs nothing; the file keeps the old one while
// clients are moved over.
func renewedIn(ca *x509.Certificate, cas []*x509.Certificate, now time.Time, notice time.Duration) bool {
	for _, r := range cas {
		if r != ca && bytes.Equal(r.RawSubject, ca.RawSubject) && bytes.Equal(r.RawSubjectPublicKeyInfo, ca.RawSubjectPublicKeyInfo) &&
			r.NotAfter.After(ca.NotAfter) && !now.Before(r.NotBefore) && r.NotAfter.Sub(now) > notice {
			return true
		}
	}
	return false
}

// serverWarning is Warning for the server's own certificate.
func (t *TLSFiles) serverWarning(leaf *x509.Certificate, now time.Time, notice time.Duration) string {
	at := func(tm time.Time) string { return tm.UTC().Format(time.RFC3339) }
	switch {
	case !now.Before(leaf.NotAfter):
		return fmt.Sprintf("the TLS certificate %s expired at %s, so clients refuse every connection (x509: certificate has expired); renew it in place (with its key) and send SIGHUP", t.certFile, at(leaf.NotAfter))
	case now.Before(leaf.NotBefore):
		return fmt.Sprintf("the TLS certificate %s is not valid before %s, so clients refuse every connection until then (x509: certificate has expired or is not yet valid); check this host's clock, or serve a certificate valid now and send SIGHUP", t.certFile, at(leaf.NotBefore))
	case leaf.NotAfter.Sub(now) <= notice:
		return fmt.Sprintf("the TLS certificate %s expires at %s, within %d days, and clients will then refuse every connection; renew it in place (with its key) before then and send SIGHUP", t.certFile, at(leaf.NotAfter), int(notice.Hours()/24))
	}
	return ""
}

// pemCertificates parses the certificates of a PEM bundle, skipping any
// that do not parse (the pool the handshake uses skips them too).
func pemCertificates(data []byte) []*x509.Certificate {
	var out []*x509.Certificate
	for b, rest := pem.Decode(data); b != nil; b, rest = pem.Decode(rest) {
		if b.Type != "CERTIFICATE" {
			continue
		}
		if c, err := x509.ParseCertificate(b.Bytes); err == nil {
			out = append(out, c)
		}
	}
	return out
}

// Describe names the certificate in force, for the log: its file, subject
// and expiry, and the client CA's file.
func (t *TLSFiles) Describe(now time.Time) string {
	leaf := t.cur.Load().leaf
	var names []string
	if leaf.Subject.CommonName != "" {
		names = append(names, "CN "+leaf.Subject.CommonName)
	}
	names = append(names, leaf.DNSNames...)
	expiry := "expires " + leaf.NotAfter.UTC().Format(time.RFC3339)
	if !now.Before(leaf.NotAfter) {
		expiry = "EXPIRED at " + leaf.NotAfter.UTC().Format(time.RFC3339) + "; renew it"
	}
	if len(names) > 0 {
		expiry = strings.Join(names, ", ") + "; " + expiry
	}
	out := fmt.Sprintf("the TLS certificate %s (%s)", t.certFile, expiry)
	if t.clientCA != "" {
		out += " and the client CA " + t.clientCA
	}
	return out
}
