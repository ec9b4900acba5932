package remote

import (
	"crypto/ed25519"
	"crypto/rand"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/knownhosts"
)

// knownHostsMu serialises additions to known_hosts files within the
// process, so that two steps meeting a new host add it once.
var knownHostsMu sync.Mutex

// knownHostsFiles returns the files to check and the file accept-new adds
// to. Missing files count as empty, as in OpenSSH.
func (p *Pool) knownHostsFiles() (read []string, write string, err error) {
	files := p.s.KnownHosts
	if files == nil {
		home, err := os.UserHomeDir()
		if err != nil {
			return nil, "", fmt.Errorf("cannot find the home directory for ~/.ssh/known_hosts (%v); give a known_hosts file", err)
		}
		files = []string{filepath.Join(home, ".ssh", "known_hosts"), "/etc/ssh/ssh_known_hosts"}
	}
	for _, f := range files {
		if _, err := os.Stat(f); err == nil {
			read = append(read, f)
		} else if !errors.Is(err, fs.ErrNotExist) {
			return nil, "", fmt.Errorf("known_hosts file %s: %w", f, err)
		}
	}
	return read, files[0], nil
}

// hostKeyError is a host key that known_hosts does not vouch for.
type hostKeyError struct {
	host    string // the inventory name, or the address as written
	address string // host:port as checked
	offered ssh.PublicKey
	want    []knownhosts.KnownKey // the keys listed; empty for an unknown host
	revoked bool
	file    string // where accept-new would add, and where to add by hand
}

func (e *hostKeyError) Error() string {
	norm := knownhosts.Normalize(e.address)
	offered := e.offered.Type() + " " + ssh.FingerprintSHA256(e.offered)
	switch {
	case e.revoked:
		return fmt.Sprintf("host key of %s (%s) is marked @revoked in known_hosts: the server offered %s; refusing to connect", e.host, norm, offered)
	case len(e.want) == 0:
		host, port, _ := net.SplitHostPort(e.address)
		return fmt.Sprintf("host key of %s (%s) is unknown: not in %s; the server offered %s. "+
			"Check that fingerprint with the host's owner, then add the key with `ssh-keyscan -p %s -t %s %s >> %s`, "+
			"or run once with --accept-new-host-keys to trust new hosts on first use",
			e.host, norm, e.file, offered, port, e.offered.Type(), host, e.file)
	}
	var listed []string
	for _, k := range e.want {
		listed = append(listed, fmt.Sprintf("%s %s (%s:%d)", k.Key.Type(), ssh.FingerprintSHA256(k.Key), k.Filename, k.Line))
	}
	return fmt.Sprintf("HOST KEY CHANGED for %s (%s): known_hosts lists %s, but the server offered %s. "+
		"Someone may be intercepting the connection, or the host was reinstalled. "+
		"If the change is expected, remove the old key with `ssh-keygen -R '%s' -f %s` and add the new one; accept-new never replaces a key",
		e.host, norm, strings.Join(listed, ", "), offered, norm, e.want[0].Filename)
}

// hostKeyCallback checks the server's key against known_hosts, adding an
// unknown host's key when AcceptNew is set. It also returns the key types
// known_hosts lists for the address, to be asked for first so that a host
// with several keys is checked against the one that is known.
func (p *Pool) hostKeyCallback(name, address string) (ssh.HostKeyCallback, []string, error) {
	read, write, err := p.knownHostsFiles()
	if err != nil {
		return nil, nil, err
	}
	kh, err := loadKnownHosts(read)
	if err != nil {
		return nil, nil, err
	}
	cb := func(hostname string, remote net.Addr, key ssh.PublicKey) error {
		err := kh.check(hostname, remote, key)
		if err == nil {
			return nil
		}
		if cert, ok := key.(*ssh.Certificate); ok && noAuthority(err) {
			// A host certificate that no @cert-authority line vouches
			// for: as OpenSSH does, check the key it certifies as a plain
			// host key, which known_hosts may list or accept-new add.
			key = cert.Key
			if err = kh.check(hostname, remote, key); err == nil {
				return nil
			}
		}
		var ke *knownhosts.KeyError
		var re *knownhosts.RevokedError
		switch {
		case errors.As(err, &re):
			return &hostKeyError{host: name, address: address, offered: key, revoked: true, file: write}
		case errors.As(err, &ke) && len(kh.hostKeys(ke.Want)) == 0 && p.s.AcceptNew:
			return p.acceptNew(name, address, remote, key, write)
		case errors.As(err, &ke):
			return &hostKeyError{host: name, address: address, offered: key, want: kh.hostKeys(ke.Want), file: write}
		}
		return fmt.Errorf("checking the host key of %s (%s): %w", name, address, err)
	}
	return cb, kh.algorithms(address), nil
}

// noAuthority tells whether err refuses a host certificate because no
// @cert-authority line names a CA for the host (or there is no known_hosts
// file at all), as against a certificate that a listed CA did not sign, or
// that is expired or names other hosts, which stays refused.
func noAuthority(err error) bool {
	var ke *knownhosts.KeyError
	return errors.As(err, &ke) || strings.HasPrefix(err.Error(), "ssh: no authorities for hostname")
}

// knownHosts is what known_hosts files say: the check, and which of their
// lines are @cert-authority lines. knownhosts lists a CA's key among the
// keys of the hosts its line matches, as if the host itself had it; those
// are no host's key, so that a host with a certificate is neither taken
// for one whose key changed nor asked for a plain key only.
type knownHosts struct {
	check ssh.HostKeyCallback
	ca    map[fileLine]bool
}

type fileLine struct {
	file string
	line int
}

// hostKeys drops the keys of @cert-authority lines from want.
func (kh *knownHosts) hostKeys(want []knownhosts.KnownKey) []knownhosts.KnownKey {
	var out []knownhosts.KnownKey
	for _, k := range want {
		if !kh.ca[fileLine{k.Filename, k.Line}] {
			out = append(out, k)
		}
	}
	return out
}

// loadKnownHosts reads the files; with none, every host is unknown.
func loadKnownHosts(files []string) (*knownHosts, error) {
	if len(files) == 0 {
		return &knownHosts{check: func(string, net.Addr, ssh.PublicKey) error { return &knownhosts.KeyError{} }}, nil
	}
	cb, err := knownhosts.New(files...)
	if err != nil {
		return nil, fmt.Errorf("reading known_hosts: %w", err)
	}
	kh := &knownHosts{check: cb, ca: map[fileLine]bool{}}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			return nil, fmt.Errorf("reading known_hosts: %w", err)
		}
		// Numbered as knownhosts numbers them: every line counts.
		for i, line := range strings.Split(string(data), "\n") {
			if strings.HasPrefix(strings.TrimSpace(line), "@cert-authority") {
				kh.ca[fileLine{f, i + 1}] = true
			}
		}
	}
	return kh, nil
}

// acceptNew adds the key of a host known_hosts does not list, after
// checking again under the lock: another step may have added it, or a
// different key, meanwhile.
func (p *Pool) acceptNew(name, address string, remote net.Addr, key ssh.PublicKey, file string) error {
	knownHostsMu.Lock()
	defer knownHostsMu.Unlock()
	read, _, err := p.knownHostsFiles()
	if err != nil {
		return err
	}
	kh, err := loadKnownHosts(read)
	if err != nil {
		return err
	}
	err = kh.check(address, remote, key)
	var ke *knownhosts.KeyError
	switch {
	case err == nil:
		return nil
	case errors.As(err, &ke) && len(kh.hostKeys(ke.Want)) > 0:
		return &hostKeyError{host: name, address: address, offered: key, want: kh.hostKeys(ke.Want), file: file}
	case !errors.As(err, &ke):
		return err
	}
	if err := os.MkdirAll(filepath.Dir(file), 0o700); err != nil {
		return fmt.Errorf("adding the host key of %s: %w", name, err)
	}
	f, err := os.OpenFile(file, os.O_RDWR|os.O_CREATE|os.O_APPEND, 0o600)
	if err != nil {
		return fmt.Errorf("adding the host key of %s: %w", name, err)
	}
	line := knownhosts.Line([]string{knownhosts.Normalize(address)}, key) + "\n"
	if fi, err := f.Stat(); err == nil && fi.Size() > 0 {
		last := make([]byte, 1)
		if _, err := f.ReadAt(last, fi.Size()-1); err == nil && last[0] != '\n' {
			line = "\n" + line
		}
	}
	_, err = f.WriteString(line)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("adding the host key of %s to %s: %w", name, file, err)
	}
	return nil
}

// certAlgorithms are the host certificate algorithms, asked for first
// from a host a CA is listed for.
var certAlgorithms = []string{ssh.CertAlgoED25519v01, ssh.CertAlgoECDSA256v01, ssh.CertAlgoECDSA384v01,
	ssh.CertAlgoECDSA521v01, ssh.CertAlgoRSASHA512v01, ssh.CertAlgoRSASHA256v01}

var (
	probeOnce sync.Once
	probeKey  ssh.PublicKey
)

// algorithms returns the host key algorithms matching the keys
// known_hosts lists for address, or nil when it lists none (then any
// algorithm may be offered, and an unknown key is reported as such). A CA
// that an @cert-authority line names for the address puts the certificate
// algorithms first.
func (kh *knownHosts) algorithms(address string) []string {
	probeOnce.Do(func() {
		pub, _, err := ed25519.GenerateKey(rand.Reader)
		if err == nil {
			probeKey, _ = ssh.NewPublicKey(pub)
		}
	})
	if probeKey == nil {
		return nil
	}
	// A fresh random key is never listed: the error lists the keys that
	// are.
	var ke *knownhosts.KeyError
	if err := kh.check(address, &net.TCPAddr{IP: net.IPv4zero, Port: portOf(address)}, probeKey); !errors.As(err, &ke) {
		return nil
	}
	keys := kh.hostKeys(ke.Want)
	if len(keys) == 0 {
		return nil // none, or only a CA's: any, certificates first
	}
	var algos []string
	add := func(a ...string) {
		for _, x := range a {
			if !containsString(algos, x) {
				algos = append(algos, x)
			}
		}
	}
	if len(keys) < len(ke.Want) {
		add(certAlgorithms...)
	}
	for _, k := range keys {
		switch t := k.Key.Type(); t {
		case ssh.KeyAlgoRSA:
			add(ssh.KeyAlgoRSASHA512, ssh.KeyAlgoRSASHA256)
		default:
			add(t)
		}
	}
	return algos
}

func containsString(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
