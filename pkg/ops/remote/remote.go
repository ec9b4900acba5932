// Package remote holds the operations that act on other machines over SSH:
// ssh.exec, ssh.upload, ssh.download, ssh.facts and ssh.wait. Each takes a
// host parameter, an inventory name or an address written
// [user@]addr[:port], and reaches it through a Pool of connections.
//
// Host keys are always verified against known_hosts files (OpenSSH's
// format, hashed names and @cert-authority lines included); an unknown key
// fails unless accept-new is on, and a changed key always fails.
// Authentication is by ssh-agent, key files (with a passphrase parameter)
// and OpenSSH certificates.
//
// # Wiring
//
// Register gives the operations a Pool built from Settings, owned by the
// registry and closed by Registry.Close. A run that has its own inventory or
// known_hosts, or that wants its connections closed when it ends, creates
// a Pool with NewPool, puts it in the context of its steps with WithPool,
// and closes it after the run; the operations prefer a Pool found in the
// context over the registry's.
//
// A caller's authorization scope (ops.Call.Scope) that implements
// HostPolicy is asked before any connection is made for a step, with the
// target host's name, groups and tags. One that implements the builtin
// DialPolicy is asked for every hop of the path, as for other network
// operations.
package remote

import (
	"context"
	"fmt"
	"io"
	"slices"
	"time"

	"github.com/arsenal-run/arsenal-run/pkg/inventory"
	"github.com/arsenal-run/arsenal-run/pkg/ops"
)

// Settings configure a Pool. The zero value uses no inventory (hosts are
// written user@addr:port), ~/.ssh/known_hosts, $SSH_AUTH_SOCK and the
// defaults below.
type Settings struct {
	// Inventory resolves host names; nil allows only addresses.
	Inventory *inventory.Inventory
	// KnownHosts are the known_hosts files host keys are checked against.
	// nil means ~/.ssh/known_hosts and /etc/ssh/ssh_known_hosts. Keys
	// accepted by AcceptNew are added to the first file.
	KnownHosts []string
	// AcceptNew mirrors OpenSSH's StrictHostKeyChecking=accept-new: the key
	// of a host that known_hosts does not list is added and trusted. A key
	// that differs from a listed one is refused all the same.
	AcceptNew bool
	// Agent is the ssh-agent socket; "" means $SSH_AUTH_SOCK, "none" no
	// agent.
	Agent string
	// RefuseSwappable refuses an identity or certificate file that a user
	// of the host other than this process's and root could swap, and a
	// private key every user may read: for the runs of serve and
	// schedule (runs.Config.RefuseSwappable), whose keys the hosts trust.
	RefuseSwappable bool
	// DialTimeout bounds the TCP connection, handshake and authentication
	// of one connection. Default 15s.
	DialTimeout time.Duration
	// KeepAlive is the interval of keepalive requests on an idle or busy
	// connection; after KeepAliveMax requests without an answer the
	// connection is closed and its steps fail. Defaults 15s and 3.
	KeepAlive    time.Duration
	KeepAliveMax int
	// MaxSessions is how many sessions (commands, file transfers) one
	// connection carries at once, one of them kept for stopping commands.
	// OpenSSH's sshd allows 10 by default (MaxSessions). Default 10. A
	// server that allows fewer makes steps wait for a session, and gets
	// the signals that stop a command over a connection of their own.
	MaxSessions int
	// IdleTimeout closes a connection no step has used for this long.
	// Default 5m.
	IdleTimeout time.Duration
	// OutputLimit is how many bytes of stdout and of stderr ssh.exec keeps,
	// each; beyond it the first and last halves are kept. Default 1 MiB.
	OutputLimit int
	// KillGrace is how long a remote process group has between SIGTERM and
	// SIGKILL when a step times out or is cancelled. Default 2s.
	KillGrace time.Duration
}

func (s Settings) withDefaults() Settings {
	if s.DialTimeout <= 0 {
		s.DialTimeout = 15 * time.Second
	}
	if s.KeepAlive <= 0 {
		s.KeepAlive = 15 * time.Second
	}
	if s.KeepAliveMax <= 0 {
		s.KeepAliveMax = 3
	}
	if s.MaxSessions <= 1 {
		s.MaxSessions = 10
	}
	if s.IdleTimeout <= 0 {
		s.IdleTimeout = 5 * time.Minute
	}
	if s.KillGrace <= 0 {
		s.KillGrace = 2 * time.Second
	}
	s.KnownHosts = slices.Clone(s.KnownHosts)
	return s
}

// HostPolicy is implemented by an authorization scope that limits the
// hosts remote operations may act on. AllowHost is called before a step
// connects, with the target's inventory name (or the address as written),
// its groups and its tags; a non-nil error, which should wrap ops.ErrDenied,
// refuses the step. Jump hosts on the way are not asked: a step acts only
// on its target.
type HostPolicy interface {
	AllowHost(name string, groups, tags []string) error
}

// HostTarget is implemented by the operations that act on the one host
// their parameter HostParam names (the ssh.* operations): authorization
// checks a literal host against the caller's hosts before the run.
type HostTarget interface {
	HostParam() string
}

var _ HostTarget = (*Exec)(nil)

// HostParam implements HostTarget.
func (base) HostParam() string { return "host" }

type poolKey struct{}

// WithPool returns ctx carrying p: the remote operations called with it use
// p instead of the registry's pool. The caller closes p when done.
func WithPool(ctx context.Context, p *Pool) context.Context {
	return context.WithValue(ctx, poolKey{}, p)
}

// PoolFrom returns the Pool in ctx, or nil.
func PoolFrom(ctx context.Context) *Pool {
	p, _ := ctx.Value(poolKey{}).(*Pool)
	return p
}

// Register adds the ssh.* operations to r. They share one Pool built from
// s, closed when the registry is closed.
func Register(r *ops.Registry, s Settings) error {
	b := base{pool: NewPool(s), mem: r.OutputMemory()}
	for _, reg := range []struct {
		spec ops.Spec
		op   ops.Op
	}{
		{execSpec(), &Exec{b}},
		{uploadSpec(), &Upload{b}},
		{downloadSpec(), &Download{b}},
		{factsSpec(), &Facts{b}},
		{waitSpec(), &Wait{b}},
	} {
		if err := r.Register(reg.spec, reg.op); err != nil {
			b.pool.Close()
			return err
		}
	}
	return nil
}

// base is what every ssh.* operation shares: the registry's pool.
type base struct {
	pool *Pool
	mem  *ops.OutputMemory // the registry's, for the captured output of ssh.exec and ssh.facts
}

var _ io.Closer = base{}

// Close closes the registry's pool (once, whichever operation asks first).
func (b base) Close() error { return b.pool.Close() }

// poolFor returns the pool a call uses.
func (b base) poolFor(ctx context.Context) *Pool {
	if p := PoolFrom(ctx); p != nil {
		return p
	}
	return b.pool
}

// target resolves the host parameter and asks the caller's HostPolicy.
func (b base) target(ctx context.Context, p ops.Params) (*Pool, *inventory.Host, error) {
	pool := b.poolFor(ctx)
	h, err := pool.s.Inventory.Resolve(p.String("host"))
	if err != nil {
		return nil, nil, ops.WithClass(ops.ClassValidation, fmt.Errorf("param host: %w", err))
	}
	if hp, ok := ops.CallFrom(ctx).Scope.(HostPolicy); ok {
		if err := hp.AllowHost(h.Name, h.Groups, h.Tags); err != nil {
			return nil, nil, ops.WithClass(ops.ClassAuthorization, err)
		}
	}
	return pool, h, nil
}

// CacheTarget is what the host parameter leads to, for the result cache's
// key (cache.Targeter): for every hop, jump hosts first, the login,
// address, port and key files the pool would connect with now, from the
// inventory of the call's pool. The host's name alone is not enough: an
// inventory edited between runs may give it another machine, and an
// answer cached for the first must not be given for the second.
func (b base) CacheTarget(ctx context.Context, p ops.Params) any {
	h, err := b.poolFor(ctx).s.Inventory.Resolve(p.String("host"))
	if err != nil {
		// The step fails before it connects; its key must match no
		// entry of a host that resolved.
		return map[string]any{"unresolved": err.Error()}
	}
	var hops []any
	for _, x := range h.Chain() {
		login := x.User
		if login == "" {
			login, _ = localUser()
		}
		hops = append(hops, map[string]any{"user": login, "address": x.Address, "port": x.Port,
			"identity_file": x.IdentityFile, "certificate_file": x.CertificateFile})
	}
	return hops
}

// hostParam is the host parameter every ssh.* operation takes.
func hostParam() ops.Param {
	return ops.Param{Name: "host", Type: ops.TypeString, Required: true, MaxLen: 512,
		Description: "the machine: an inventory name, or an address written [user@]addr[:port] ([addr]:port for IPv6)"}
}

// passphraseParam is the passphrase of an encrypted identity file.
func passphraseParam() ops.Param {
	return ops.Param{Name: "key_passphrase", Type: ops.TypeString, Secret: true, MaxLen: 1024,
		Description: "the passphrase of the host's identity file, from a secret input; used only when the connection is first made"}
}

// checkHost validates the host parameter's form at load time.
func checkHost(p ops.Params, errs *ops.ParamErrors) {
	if p.Known("host") {
		if err := inventory.CheckTarget(p.String("host")); err != nil {
			*errs = append(*errs, &ops.ParamError{Param: "host", Msg: err.Error()})
		}
	}
}

func errsOrNil(errs ops.ParamErrors) error {
	if len(errs) > 0 {
		return errs
	}
	return nil
}
