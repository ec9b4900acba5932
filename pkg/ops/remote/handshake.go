package remote

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/knownhosts"

	"github.com/arsenal-run/arsenal-run/internal/shellword"
	"github.com/arsenal-run/arsenal-run/pkg/inventory"
	"github.com/arsenal-run/arsenal-run/pkg/ops"
)

// login is what explains a failed handshake: the host key check it used,
// and whether the server asked for keys at all (it offers public-key login
// for the user).
type login struct {
	hk        *hostKeyCheck
	keysAsked atomic.Bool
	// knownHosts are the files given to the pool, nil for OpenSSH's own
	// (see scanCommand).
	knownHosts []string
	// certs are the user certificates offered.
	certs []offeredCert
}

// offeredCert is a user certificate offered, with its file when known.
type offeredCert struct {
	cert *ssh.Certificate
	file string
}

// offeredCerts returns the user certificates among signers: the host's
// identity_file's comes first, from its certificate file.
func offeredCerts(h *inventory.Host, signers []ssh.Signer) []offeredCert {
	var out []offeredCert
	for i, s := range signers {
		cert, ok := s.PublicKey().(*ssh.Certificate)
		if !ok || cert.CertType != ssh.UserCert {
			continue
		}
		oc := offeredCert{cert: cert}
		if i == 0 && h.IdentityFile != "" {
			oc.file = h.CertificateFile
			if oc.file == "" {
				oc.file = h.IdentityFile + "-cert.pub"
			}
		}
		out = append(out, oc)
	}
	return out
}

// certProblems says, for a refused login as user at now, which of the
// certificates offered a server must refuse: expired, not yet valid, or
// for other principals. sshd logs why; the client is told nothing.
func certProblems(certs []offeredCert, user string, now time.Time) []string {
	var out []string
	for _, c := range certs {
		what := fmt.Sprintf("the certificate %q", c.cert.KeyId)
		if c.file != "" {
			what += " (" + c.file + ")"
		} else {
			what += " (from the agent or ~/.ssh)"
		}
		after, before := time.Unix(int64(c.cert.ValidAfter), 0).UTC(), time.Unix(int64(c.cert.ValidBefore), 0).UTC()
		switch {
		case c.cert.ValidBefore != ssh.CertTimeInfinity && !now.Before(before):
			out = append(out, fmt.Sprintf("%s expired at %s: have the key signed again by its CA", what, before.Format(time.RFC3339)))
		case now.Before(after):
			out = append(out, fmt.Sprintf("%s is valid only from %s: check this machine's clock, or have it signed again", what, after.Format(time.RFC3339)))
		case len(c.cert.ValidPrincipals) > 0 && !slices.Contains(c.cert.ValidPrincipals, user):
			out = append(out, fmt.Sprintf("%s is for the principals %s, not %s: log in as one of them (user: in the inventory), or have it signed for %s", what, strings.Join(c.cert.ValidPrincipals, ", "), user, user))
		}
	}
	return out
}

// handshakeError explains a failed handshake: host keys and logins get
// their own messages; the rest is passed on. lg is what the handshake
// used. A host key known_hosts does not vouch for has class
// validation, which retry never retries: trying again cannot change the
// key, and only hammers a host whose identity is in doubt; known_hosts (an
// input of the run) is what must be fixed.
func handshakeError(h *inventory.Host, inv *inventory.Inventory, user string, lg *login, err error) error {
	hk := lg.hk
	var he *hostKeyError
	if errors.As(err, &he) {
		return ops.WithClass(ops.ClassValidation, he)
	}
	var ne *ssh.AlgorithmNegotiationError
	if errors.As(err, &ne) && ne.What == "host key" && hk != nil && len(hk.listed) > 0 {
		// Only the listed key types were asked for (see hostKeyCheck):
		// a server offering none of them has another key now.
		var listed []string
		for _, k := range hk.listed {
			listed = append(listed, fmt.Sprintf("%s (%s:%d)", k.Key.Type(), k.Filename, k.Line))
		}
		norm := knownhosts.Normalize(hk.address)
		scan := scanCommand(hk.address, "", h.Jump, lg.knownHosts) + " | ssh-keygen -lf -"
		if h.Jump != nil {
			scan += "` (run from here: it scans from jump host " + h.Jump.Name + ", through which " + h.Name + " is reached"
		} else {
			scan += "`"
		}
		return ops.Errorf(ops.ClassValidation, "host key of %s (%s): known_hosts lists only %s for this host, but the server offers %s. "+
			"The host's key may have changed (reinstalled, or someone intercepting the connection): check the new key's fingerprint with the host's owner "+
			"(`%s), then remove the old entry with `ssh-keygen -R '%s' -f %s` and add the new one",
			h.Name, norm, strings.Join(listed, ", "), strings.Join(ne.RequestedAlgorithms, ", "), scan, norm, shellword.Word(hk.listed[0].Filename))
	}
	switch msg := err.Error(); {
	case strings.Contains(msg, "unable to authenticate"):
		return ops.WithClass(ops.ClassExecution, &loginError{host: h.Name, address: h.HostPort(), user: user, err: err, noKeys: !lg.keysAsked.Load(),
			certs: certProblems(lg.certs, user, time.Now()), userFrom: userOrigin(h, inv)})
	case strings.Contains(strings.ToLower(msg), "too many authentication failures"):
		// OpenSSH's sshd disconnects a client that offered more keys than
		// its MaxAuthTries (6) allows: an agent holding many keys, none
		// of them the host's, or the host's after too many others.
		return ops.WithClass(ops.ClassExecution, &loginError{host: h.Name, address: h.HostPort(), user: user, err: err, tooMany: true})
	}
	return ops.Errorf(ops.ClassExecution, "SSH handshake with %s (%s): %w", h.Name, h.HostPort(), err)
}

// loginError is a server refusing every key offered, or closing the login
// after too many of them (tooMany). Trying again offers the same keys:
// ssh.wait fails at once on it.
type loginError struct {
	host, address, user string
	err                 error
	tooMany             bool
	// noKeys: the server never asked for a key; it takes only other
	// methods (a password) for this login.
	noKeys bool
	// certs say which certificates offered no server accepts.
	certs []string
	// userFrom says where the user's name was set (see userOrigin).
	userFrom string
}

func (e *loginError) Error() string {
	if e.tooMany {
		return fmt.Sprintf("logging in to %s (%s) as %s: the server closed the login after too many keys were offered (its MaxAuthTries counts each one); "+
			"set identity_file for the host in the inventory, which is offered first, or hold fewer keys in the agent (ssh-add -l lists them) (%v)", e.host, e.address, e.user, e.err)
	}
	if e.noKeys {
		return fmt.Sprintf("logging in to %s (%s) as %s: the server does not offer public-key login to %s, only other methods (a password, say), which arsenal-run does not use; "+
			"allow it on the host (PubkeyAuthentication yes in sshd_config, and in any Match block that applies to %s) and add the key to that user's authorized_keys (%v)", e.host, e.address, e.user, e.user, e.user, e.err)
	}
	certs := ""
	if len(e.certs) > 0 {
		certs = "; " + strings.Join(e.certs, "; ")
	}
	return fmt.Sprintf("logging in to %s (%s) as %s: the server accepted none of the keys offered%s; check that %s is the account to log in as (%s), "+
		"then identity_file, the agent's keys (ssh-add -l) and the host's authorized_keys (%v)", e.host, e.address, e.user, certs, e.user, e.userFrom, e.err)
}

func (e *loginError) Unwrap() error { return e.err }

// userOrigin says where the login name of h was set: a server refuses
// every key of a user it does not have just as it refuses a wrong key,
// so a misspelt or missing user: reads as a key problem unless the error
// points at it.
func userOrigin(h *inventory.Host, inv *inventory.Inventory) string {
	switch {
	case h.Pos.Line > 0 && inv != nil && h.User == "":
		return fmt.Sprintf("your local user name: neither %s (%s:%d) nor the inventory's defaults set user:", h.Name, inv.File, h.Pos.Line)
	case h.Pos.Line > 0 && inv != nil:
		return fmt.Sprintf("user: of %s in the inventory (%s:%d), or of its defaults", h.Name, inv.File, h.Pos.Line)
	case h.User == "":
		return "your local user name; write user@address in host: for another"
	}
	return "written in host:, or the inventory's defaults when host: names none"
}
