package remote

import (
	"bytes"
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"os"
	"os/user"
	"path/filepath"
	"strings"

	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/agent"

	"github.com/arsenal-run/arsenal-run/internal/fsx"
	"github.com/arsenal-run/arsenal-run/internal/shellword"
	"github.com/arsenal-run/arsenal-run/pkg/inventory"
)

// maxKeyFile bounds the size of an identity or certificate file.
const maxKeyFile = 1 << 20

// clientConfig returns the login settings for h: its user, the keys to
// offer and the host key check. done releases the agent connection once
// the handshake is over. lg holds what explains a failed handshake: the
// host key check, and whether the server asked for keys.
func (p *Pool) clientConfig(ctx context.Context, h *inventory.Host, a authOpts) (cfg *ssh.ClientConfig, lg *login, done func(), err error) {
	user := h.User
	if user == "" {
		u, err := localUser()
		if err != nil {
			return nil, nil, nil, fmt.Errorf("host %s has no user and %v; set user for the host or in the inventory's defaults", h.Name, err)
		}
		user = u
	}
	hk, err := p.hostKeyCallback(ctx, h)
	if err != nil {
		return nil, nil, nil, err
	}
	signers, done, err := p.signers(h, a)
	if err != nil {
		return nil, nil, nil, err
	}
	lg = &login{hk: hk, knownHosts: p.s.KnownHosts, certs: offeredCerts(h, signers)}
	// The keys are asked for only when the server offers public-key
	// login for the user.
	keys := ssh.PublicKeysCallback(func() ([]ssh.Signer, error) {
		lg.keysAsked.Store(true)
		return signers, nil
	})
	return &ssh.ClientConfig{
		User:              user,
		Auth:              []ssh.AuthMethod{keys},
		HostKeyCallback:   hk.callback,
		HostKeyAlgorithms: hk.algorithms,
		Timeout:           p.s.DialTimeout,
		ClientVersion:     "SSH-2.0-arsenal-run",
	}, lg, done, nil
}

func localUser() (string, error) {
	if u, err := user.Current(); err == nil && u.Username != "" {
		return u.Username, nil
	}
	if u := os.Getenv("USER"); u != "" {
		return u, nil
	}
	return "", errors.New("the local user's name is unknown")
}

// DefaultIdentities are the keys in ~/.ssh tried for a host that names
// none, in order.
var DefaultIdentities = []string{"id_ed25519", "id_ecdsa", "id_rsa"}

// signers returns the keys to offer, in OpenSSH's spirit: the host's
// identity file (its certificate first, when there is one), then the
// agent's keys, then, when the host names no identity file, the usual
// ~/.ssh/id_* files that need no passphrase or whose passphrase is given.
// An encrypted identity file whose key the agent holds is used through the
// agent, as ssh -i does, without its passphrase.
func (p *Pool) signers(h *inventory.Host, a authOpts) ([]ssh.Signer, func(), error) {
	agentKeys, done, agentErr := p.agentSigners()
	keys := agentKeyring{keys: agentKeys, sock: p.agentSocket(), err: agentErr}
	var out []ssh.Signer
	if h.IdentityFile != "" {
		s, err := loadIdentity(h.IdentityFile, h.CertificateFile, a.passphrase, keys, p.s.RefuseSwappable)
		if err != nil {
			done()
			return nil, nil, p.missingIdentity(h, err)
		}
		out = append(out, s...)
	}
	for _, k := range agentKeys {
		if !offered(out, k.PublicKey()) {
			out = append(out, k)
		}
	}
	var refused []string // why ~/.ssh/id_* keys that exist were not used
	looked := "no home directory to look for ~/.ssh/id_* in ($HOME is not set)"
	if h.IdentityFile == "" {
		if home, err := os.UserHomeDir(); err == nil {
			looked = fmt.Sprintf("no %s, %s or %s", filepath.Join(home, ".ssh", DefaultIdentities[0]),
				DefaultIdentities[1], DefaultIdentities[2])
			for _, name := range DefaultIdentities {
				s, err := loadIdentity(filepath.Join(home, ".ssh", name), "", a.passphrase, keys, p.s.RefuseSwappable)
				switch {
				case err == nil:
					out = append(out, s...)
				case !errors.Is(err, fs.ErrNotExist):
					refused = append(refused, err.Error())
				}
			}
		}
	}
	if len(out) == 0 {
		done()
		why := "no ssh-agent ($SSH_AUTH_SOCK is not set)"
		switch sock := p.agentSocket(); {
		case agentErr != nil:
			why = agentErr.Error()
		case p.s.Agent == "none":
			why = "the agent is turned off"
		case sock != "":
			why = "the ssh-agent at " + sock + " holds no keys (ssh-add -l lists them; ssh-add FILE adds one)"
		}
		if len(refused) > 0 {
			// A key that is there but was not taken is the likely
			// answer: say why, not only that there is none.
			return nil, nil, fmt.Errorf("no key to log in to %s with: %s, no identity_file for the host, and the ~/.ssh keys there are not usable: %s", h.Name, why, strings.Join(refused, "; "))
		}
		return nil, nil, fmt.Errorf("no key to log in to %s with: %s, no identity_file for the host, and %s; "+
			"set identity_file for the host in the inventory, add a key to the agent (ssh-add FILE), "+
			"or create one (`ssh-keygen -t ed25519`) and add its .pub to the host's authorized_keys", h.Name, why, looked)
	}
	return out, done, nil
}

// missingIdentity adds to err, when h's identity file does not exist,
// where the inventory names it and what to do.
func (p *Pool) missingIdentity(h *inventory.Host, err error) error {
	if _, serr := os.Stat(h.IdentityFile); !errors.Is(serr, fs.ErrNotExist) {
		return err
	}
	where := "for the address as written, from the inventory's defaults"
	if inv := p.s.Inventory; inv != nil && h.Pos.Line > 0 {
		where = fmt.Sprintf("of host %s at %s:%d", h.Name, inv.File, h.Pos.Line)
		if h.IdentityFile == inv.Defaults.IdentityFile {
			where = fmt.Sprintf("of host %s (%s:%d), from the inventory's defaults", h.Name, inv.File, h.Pos.Line)
		}
	}
	return fmt.Errorf("%w; it is the identity_file %s: correct the path there, or create the key (`ssh-keygen -t ed25519 -f %s`) and add its .pub to the host's authorized_keys",
		err, where, shellword.Word(h.IdentityFile))
}

// agentSigners returns the keys of the agent, and done, which closes the
// connection to it once the handshake is over; err says why there are
// none from an agent that was to be asked.
func (p *Pool) agentSigners() (keys []ssh.Signer, done func(), err error) {
	sock := p.agentSocket()
	if sock == "" {
		return nil, func() {}, nil
	}
	c, err := net.Dial("unix", sock)
	if err != nil {
		return nil, func() {}, fmt.Errorf("ssh-agent at %s: %w", sock, err)
	}
	keys, err = agent.NewClient(c).Signers()
	if err != nil {
		c.Close()
		return nil, func() {}, fmt.Errorf("ssh-agent at %s: %w", sock, err)
	}
	return keys, func() { c.Close() }, nil
}

// agentKeyring is what the agent offers an encrypted identity file: its
// keys, or why there are none.
type agentKeyring struct {
	keys []ssh.Signer
	sock string
	err  error
}

// signer returns the agent's key for pub, or nil.
func (k agentKeyring) signer(pub ssh.PublicKey) ssh.Signer {
	if pub == nil {
		return nil
	}
	for _, s := range k.keys {
		if bytes.Equal(s.PublicKey().Marshal(), pub.Marshal()) {
			return s
		}
	}
	return nil
}

// lacks says why the agent could not stand in for an encrypted file.
func (k agentKeyring) lacks() string {
	switch {
	case k.err != nil:
		return k.err.Error()
	case k.sock == "":
		return "no ssh-agent is in use ($SSH_AUTH_SOCK is not set, or the agent is turned off)"
	}
	return "the ssh-agent at " + k.sock + " does not hold that key"
}

// offered tells whether a key is among signers already.
func offered(signers []ssh.Signer, pub ssh.PublicKey) bool {
	for _, s := range signers {
		if bytes.Equal(s.PublicKey().Marshal(), pub.Marshal()) {
			return true
		}
	}
	return false
}

func (p *Pool) agentSocket() string {
	switch p.s.Agent {
	case "none":
		return ""
	case "":
		return os.Getenv("SSH_AUTH_SOCK")
	}
	return p.s.Agent
}

// loadIdentity reads a private key, decrypting it with passphrase when it
// is encrypted (or, without one, taking the agent's copy of the key), and
// pairs it with its certificate: certFile, else the file's -cert.pub
// companion when it exists. A FIFO or device is refused, never waited
// on. daemon (Settings.RefuseSwappable) refuses too a key every user may
// read, and a key or certificate another user could swap.
func loadIdentity(file, certFile, passphrase string, inAgent agentKeyring, daemon bool) ([]ssh.Signer, error) {
	b, fi, err := readKeyFile(file, daemon, "the identity file", keyCould)
	if err != nil {
		return nil, fmt.Errorf("identity file %s: %w", file, err)
	}
	if _, _, _, _, perr := ssh.ParseAuthorizedKey(b); perr == nil {
		priv := strings.TrimSuffix(strings.TrimSuffix(file, ".pub"), "-cert")
		if priv == file {
			priv = "the file without .pub"
		}
		return nil, fmt.Errorf("identity file %s is a public key; set identity_file to the private key (%s), not its .pub", file, priv)
	}
	// As OpenSSH does, refuse a key others may have read; in a daemon,
	// whoever owns it, one every user may read.
	switch perm := fi.Mode().Perm(); {
	case ownedByMe(fi) && perm&0o077 != 0:
		return nil, fmt.Errorf("identity file %s has mode %s: UNPROTECTED PRIVATE KEY FILE, readable by others, which OpenSSH refuses too; "+
			"make it private with `chmod 600 %s` (and consider the key exposed if others could log in here)", file, fsx.Octal(fi.Mode()), file)
	case daemon && perm&0o004 != 0:
		return nil, fmt.Errorf("identity file %s has mode %s: UNPROTECTED PRIVATE KEY FILE, every user of this host may read it, and the runs of serve and schedule refuse it; "+
			"make it private with `chmod 600 %s` (and consider the key exposed if others could log in here)", file, fsx.Octal(fi.Mode()), file)
	}
	key, err := ssh.ParsePrivateKey(b)
	var missing *ssh.PassphraseMissingError
	switch {
	case !errors.As(err, &missing):
	case passphrase != "":
		key, err = ssh.ParsePrivateKeyWithPassphrase(b, []byte(passphrase))
		if errors.Is(err, x509.IncorrectPasswordError) {
			return nil, fmt.Errorf("identity file %s: the passphrase in key_passphrase is wrong", file)
		}
	default:
		pub := missing.PublicKey
		if pub == nil { // an older PEM file: the public key is beside it
			if pb, _, rerr := readKeyFile(file+".pub", false, "", ""); rerr == nil {
				pub, _, _, _, _ = ssh.ParseAuthorizedKey(pb)
			}
		}
		if key = inAgent.signer(pub); key == nil {
			return nil, fmt.Errorf("identity file %s is encrypted; give its passphrase in key_passphrase, from a secret input, "+
				"or load the key into the ssh-agent with `ssh-add %s` (%s)", file, file, inAgent.lacks())
		}
		err = nil
	}
	if err != nil {
		return nil, fmt.Errorf("identity file %s: %w", file, err)
	}
	if certFile == "" {
		if _, err := os.Stat(file + "-cert.pub"); err == nil {
			certFile = file + "-cert.pub"
		}
	}
	if certFile == "" {
		return []ssh.Signer{key}, nil
	}
	cb, _, err := readKeyFile(certFile, daemon, "the certificate file", certCould)
	if err != nil {
		return nil, fmt.Errorf("certificate file %s: %w", certFile, err)
	}
	pub, _, _, _, err := ssh.ParseAuthorizedKey(cb)
	if err != nil {
		return nil, fmt.Errorf("certificate file %s: %w", certFile, err)
	}
	cert, ok := pub.(*ssh.Certificate)
	if !ok {
		return nil, fmt.Errorf("certificate file %s holds a %s key, not a certificate", certFile, pub.Type())
	}
	cs, err := ssh.NewCertSigner(cert, key)
	if err != nil {
		return nil, fmt.Errorf("certificate file %s does not belong to %s: %w", certFile, file, err)
	}
	// The certificate first; the plain key too, for servers that do not
	// trust the certificate authority but list the key.
	return []ssh.Signer{cs, key}, nil
}

// What another user who could swap a key or certificate file could make
// a daemon's runs do.
const (
	keyCould  = "make the runs log in with a key of their choosing, or read the key"
	certCould = "make the runs offer a certificate of their choosing"
)

// readKeyFile reads a key or certificate file of at most maxKeyFile
// bytes, what is not a regular file refused before it is read: a FIFO
// would hold the step for good, a device never ends. judge refuses,
// with fsx.AnyoneMayWrite's advice, a file (what, like "the identity
// file") another user of the host could change or put one of their own
// in place of, judged once open: what is judged is what is read.
func readKeyFile(file string, judge bool, what, could string) ([]byte, fs.FileInfo, error) {
	f, err := fsx.Open(file)
	if err != nil {
		var nr *fsx.NotRegularError
		if errors.As(err, &nr) {
			return nil, nil, err
		}
		return nil, nil, unwrapPath(err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, nil, err
	}
	if judge {
		if msg := fsx.AnyoneMayWrite(f, file, what, could); msg != "" {
			return nil, nil, errors.New(msg)
		}
	}
	b, err := io.ReadAll(io.LimitReader(f, maxKeyFile+1))
	if err != nil {
		return nil, nil, err
	}
	if len(b) > maxKeyFile {
		return nil, nil, fmt.Errorf("is larger than %d bytes; it is not a key", maxKeyFile)
	}
	return b, fi, nil
}

// unwrapPath is err without the path and operation of an *os.PathError,
// which the messages around it name in their own words. What it wraps
// stays wrapped, so that errors.Is(err, fs.ErrNotExist) still holds.
func unwrapPath(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return &causeError{strings.TrimSpace(pe.Err.Error()), pe.Err}
	}
	return err
}

// causeError is an error's cause said in words of its own.
type causeError struct {
	msg string
	err error
}

func (e *causeError) Error() string { return e.msg }

func (e *causeError) Unwrap() error { return e.err }
