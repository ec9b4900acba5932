package remote

import (
	"context"
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

	"github.com/arsenal-run/arsenal-run/internal/shellword"
	"github.com/arsenal-run/arsenal-run/pkg/inventory"
	"github.com/arsenal-run/arsenal-run/pkg/ops"
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
	address string // host:port as checked (see canonicalAddress)
	offered ssh.PublicKey
	want    []knownhosts.KnownKey // the keys listed; empty for an unknown host
	revoked bool
	file    string   // where accept-new would add, and where to add by hand
	files   []string // every file checked, for an unknown host
	jump    *inventory.Host
	// knownHosts are the files given to the pool (--known-hosts), nil
	// for OpenSSH's own: the ssh that scans from a jump host checks the
	// jump hosts against them too.
	knownHosts []string
}

func (e *hostKeyError) Error() string {
	norm := knownhosts.Normalize(e.address)
	offered := e.offered.Type() + " " + ssh.FingerprintSHA256(e.offered)
	switch {
	case e.revoked:
		return fmt.Sprintf("host key of %s (%s) is marked @revoked in known_hosts: the server offered %s; refusing to connect", e.host, norm, offered)
	case len(e.want) == 0:
		return fmt.Sprintf("host key of %s (%s) is unknown: not in %s; the server offered %s. "+
			"Check that fingerprint with the host's owner, then add the key with %s, "+
			"or run once with --accept-new-host-keys to trust new hosts on first use",
			e.host, norm, e.checked(), offered, e.addCommand())
	}
	var listed []string
	for _, k := range e.want {
		listed = append(listed, fmt.Sprintf("%s %s (%s:%d)", k.Key.Type(), ssh.FingerprintSHA256(k.Key), k.Filename, k.Line))
	}
	return fmt.Sprintf("HOST KEY CHANGED for %s (%s): known_hosts lists %s, but the server offered %s. "+
		"Someone may be intercepting the connection, or the host was reinstalled. "+
		"If the change is expected, remove the old key with `ssh-keygen -R '%s' -f %s` and add the new one; accept-new never replaces a key",
		e.host, norm, strings.Join(listed, ", "), offered, norm, shellword.Word(e.want[0].Filename))
}

// checked names the files an unknown host was looked for in.
func (e *hostKeyError) checked() string {
	files := e.files
	if len(files) == 0 {
		files = []string{e.file}
	}
	var out []string
	for _, f := range files {
		if _, err := os.Stat(f); err != nil {
			f += " (which does not exist)"
		}
		out = append(out, f)
	}
	return strings.Join(out, " or ")
}

// hostKeyCheck is what connecting to one host takes from known_hosts.
type hostKeyCheck struct {
	callback ssh.HostKeyCallback
	// algorithms are the host key algorithms to ask for, matching the keys
	// known_hosts lists for the address, so that a host with several keys
	// is checked against the one that is known; nil for any.
	algorithms []string
	// listed are the plain host keys known_hosts lists for the address.
	listed []knownhosts.KnownKey
	// address is host:port as checked.
	address string
}

// hostKeyCallback checks h's key against known_hosts, adding an unknown
// host's key when AcceptNew is set. The address is checked and recorded
// in OpenSSH's canonical form (canonicalAddress). Lines of known_hosts
// that do not parse are skipped with a warning, once per pool, to the
// step in ctx.
func (p *Pool) hostKeyCallback(ctx context.Context, h *inventory.Host) (*hostKeyCheck, error) {
	name, address := h.Name, canonicalAddress(h.HostPort())
	read, write, err := p.knownHostsFiles()
	if err != nil {
		return nil, err
	}
	kh, err := loadKnownHosts(read, func(file string, line int, why error) {
		p.warnOnce(ctx, fmt.Sprintf("%s:%d", file, line),
			fmt.Sprintf("known_hosts %s:%d is skipped: %v; fix or delete that line (OpenSSH skips it too)", file, line, why))
	})
	if err != nil {
		return nil, err
	}
	all := p.s.KnownHosts
	if all == nil {
		all = []string{write, "/etc/ssh/ssh_known_hosts"}
	}
	cb := func(_ string, remote net.Addr, key ssh.PublicKey) error {
		err := kh.check(address, remote, key)
		if err == nil {
			return nil
		}
		if cert, ok := key.(*ssh.Certificate); ok && noAuthority(err) {
			// A host certificate that no @cert-authority line vouches
			// for: as OpenSSH does, check the key it certifies as a plain
			// host key, which known_hosts may list or accept-new add.
			key = cert.Key
			if err = kh.check(address, remote, key); err == nil {
				return nil
			}
		}
		var ke *knownhosts.KeyError
		var re *knownhosts.RevokedError
		switch {
		case errors.As(err, &re):
			return &hostKeyError{host: name, address: address, offered: key, revoked: true, file: write}
		case errors.As(err, &ke) && len(kh.hostKeys(ke.Want)) == 0 && p.s.AcceptNew:
			return p.acceptNew(ctx, name, address, remote, key, write)
		case errors.As(err, &ke):
			return &hostKeyError{host: name, address: address, offered: key, want: kh.hostKeys(ke.Want), file: write, files: all, jump: h.Jump, knownHosts: p.s.KnownHosts}
		}
		return fmt.Errorf("checking the host key of %s (%s): %w", name, address, err)
	}
	listed, ca := kh.listed(address)
	return &hostKeyCheck{callback: cb, algorithms: algorithmsFor(listed, ca), listed: listed, address: address}, nil
}

// warnOnce tells the step in ctx about a problem the pool meets again and
// again (a bad known_hosts line), once per pool and key.
func (p *Pool) warnOnce(ctx context.Context, key, msg string) {
	p.mu.Lock()
	if p.warned == nil {
		p.warned = map[string]bool{}
	}
	seen := p.warned[key]
	p.warned[key] = true
	p.mu.Unlock()
	if seen {
		return
	}
	call := ops.CallFrom(ctx)
	call.Log.Warn().Msg(msg)
	if call.Message != nil {
		call.Message("warn", msg)
	}
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
	// names maps the temporary copies given to knownhosts (see
	// loadKnownHosts) to the files they copy.
	names map[string]string
	// skipped are the lines that could not be read.
	skipped []skippedLine
}

type fileLine struct {
	file string
	line int
}

// hostKeys drops the keys of @cert-authority lines from want, and names
// the files as the user wrote them.
func (kh *knownHosts) hostKeys(want []knownhosts.KnownKey) []knownhosts.KnownKey {
	var out []knownhosts.KnownKey
	for _, k := range want {
		if f, ok := kh.names[k.Filename]; ok {
			k.Filename = f
		}
		if !kh.ca[fileLine{k.Filename, k.Line}] {
			out = append(out, k)
		}
	}
	return out
}

// acceptNew adds the key of a host known_hosts does not list, after
// checking again under the lock: another step may have added it, or a
// different key, meanwhile. The entry is hashed when the file's entries
// are (ssh-keygen -H, HashKnownHosts). A key added is announced to the
// step in ctx (see announceNew).
func (p *Pool) acceptNew(ctx context.Context, name, address string, remote net.Addr, key ssh.PublicKey, file string) error {
	knownHostsMu.Lock()
	defer knownHostsMu.Unlock()
	read, _, err := p.knownHostsFiles()
	if err != nil {
		return err
	}
	kh, err := loadKnownHosts(read, func(string, int, error) {}) // warned already
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
	if sl := kh.skippedFor(address); sl != nil {
		return fmt.Errorf("the host key of %s (%s) is not added: known_hosts lists the host at %s:%d, on a line that cannot be read (%v), and --accept-new-host-keys adds keys only for hosts known_hosts does not list; fix or delete that line, then check the key with ssh-keyscan",
			name, address, sl.at.file, sl.at.line, sl.why)
	}
	if err := os.MkdirAll(filepath.Dir(file), 0o700); err != nil {
		return fmt.Errorf("adding the host key of %s: %w", name, err)
	}
	f, err := os.OpenFile(file, os.O_RDWR|os.O_CREATE|os.O_APPEND, 0o600)
	if err != nil {
		return fmt.Errorf("adding the host key of %s: %w", name, err)
	}
	entry := knownhosts.Normalize(address)
	if hashedFile(f) {
		entry = knownhosts.HashHostname(entry)
	}
	line := knownhosts.Line([]string{entry}, key) + "\n"
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
	announceNew(ctx, name, address, key, file)
	return nil
}

// announceNew tells the step in ctx, as a warning in its log and in the
// run's events, that the key of a host was trusted on first use and
// recorded, as OpenSSH's "Permanently added" warning does: a scheduled or
// served run, which no one watches, leaves a trace of the key it decided
// to trust, with the fingerprint to check it by.
func announceNew(ctx context.Context, name, address string, key ssh.PublicKey, file string) {
	norm, fp := knownhosts.Normalize(address), ssh.FingerprintSHA256(key)
	msg := fmt.Sprintf("Permanently added the host key of %s (%s), %s %s, to %s (--accept-new-host-keys): it is trusted from now on; "+
		"if %s was not expected to be new, check that fingerprint with the host's owner", name, norm, key.Type(), fp, file, name)
	call := ops.CallFrom(ctx)
	call.Log.Warn().Str("host", name).Str("address", norm).Str("key_type", key.Type()).
		Str("fingerprint", fp).Str("known_hosts", file).Msg(msg)
	if call.Message != nil {
		call.Message("warn", msg)
	}
}

// hashedFile tells whether every entry of a known_hosts file has a hashed
// host name (and there is one at least).
func hashedFile(f *os.File) bool {
	fi, err := f.Stat()
	if err != nil || fi.Size() == 0 || fi.Size() > 64<<20 {
		return false
	}
	data := make([]byte, fi.Size())
	if _, err := f.ReadAt(data, 0); err != nil {
		return false
	}
	n := 0
	for _, line := range strings.Split(string(data), "\n") {
		fields := strings.Fields(line)
		if len(fields) > 0 && strings.HasPrefix(fields[0], "@") {
			fields = fields[1:]
		}
		if len(fields) == 0 || strings.HasPrefix(fields[0], "#") {
			continue
		}
		if !strings.HasPrefix(fields[0], "|1|") {
			return false
		}
		n++
	}
	return n > 0
}

// certAlgorithms are the host certificate algorithms, asked for first
// from a host a CA is listed for.
var certAlgorithms = []string{ssh.CertAlgoED25519v01, ssh.CertAlgoECDSA256v01, ssh.CertAlgoECDSA384v01,
	ssh.CertAlgoECDSA521v01, ssh.CertAlgoRSASHA512v01, ssh.CertAlgoRSASHA256v01}

var (
	probeOnce sync.Once
	probeKey  ssh.PublicKey
)

// listed returns the plain host keys known_hosts lists for address, and
// whether an @cert-authority line names a CA for it.
func (kh *knownHosts) listed(address string) ([]knownhosts.KnownKey, bool) {
	probeOnce.Do(func() {
		pub, _, err := ed25519.GenerateKey(rand.Reader)
		if err == nil {
			probeKey, _ = ssh.NewPublicKey(pub)
		}
	})
	if probeKey == nil {
		return nil, false
	}
	// A fresh random key is never listed: the error lists the keys that
	// are.
	var ke *knownhosts.KeyError
	if err := kh.check(address, &net.TCPAddr{IP: net.IPv4zero, Port: portOf(address)}, probeKey); !errors.As(err, &ke) {
		return nil, false
	}
	keys := kh.hostKeys(ke.Want)
	return keys, len(keys) < len(ke.Want)
}

// algorithmsFor returns the host key algorithms matching the keys listed,
// or nil when none is listed (then any algorithm may be offered, and an
// unknown key is reported as such). A CA named for the address puts the
// certificate algorithms first.
func algorithmsFor(keys []knownhosts.KnownKey, ca bool) []string {
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
	if ca {
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
