// Package server is the REST API of arsenal-run serve: operations,
// playbook runs with live events, processes, supervisors, the cluster and
// statistics over HTTP. It is a thin front end over the run service
// (pkg/runs): it authenticates the caller (an API key or a client
// certificate), parses and bounds the request, calls the run service, and
// renders the result. Every execution, including those behind the process,
// supervisor and cluster endpoints, goes through runs.Manager.ExecuteOp,
// so the caller's roles, the policy, the audit log and history apply.
//
// Lifecycle: New, then Serve on a listener; Reload swaps keys, policy and
// playbooks at once; Shutdown ends event streams, drains requests, and
// leaves the runs to the manager's owner.
package server

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/arsenal-run/arsenal-run/pkg/auth"
	"github.com/arsenal-run/arsenal-run/pkg/queue"
	"github.com/arsenal-run/arsenal-run/pkg/runs"
)

// Defaults of Limits.
const (
	DefaultMaxBodyBytes      = 1 << 20
	DefaultMaxHeaderBytes    = 64 << 10
	DefaultReadHeaderTimeout = 10 * time.Second
	DefaultReadTimeout       = 30 * time.Second
	DefaultWriteTimeout      = 60 * time.Second
	DefaultIdleTimeout       = 120 * time.Second
	DefaultExecTimeout       = 60 * time.Second
	MaxExecTimeout           = time.Hour
	MaxWait                  = 10 * time.Minute
	MaxBatch                 = 100
)

// Limits bound requests. Zero fields take the defaults.
type Limits struct {
	MaxBodyBytes      int64
	MaxHeaderBytes    int
	ReadHeaderTimeout time.Duration
	ReadTimeout       time.Duration
	// WriteTimeout bounds a response; requests that wait on purpose (an
	// execute with a timeout, ?wait=, event streams) lift it for
	// themselves.
	WriteTimeout time.Duration
	IdleTimeout  time.Duration
	// ExecTimeout is an execute's timeout when the body gives none.
	ExecTimeout time.Duration
	// AuthFailures bounds failed authentications per client address;
	// past it the address gets 429 until the bucket refills. Zero: 20 at
	// once, then one a second.
	AuthFailures auth.Rate
	// AuthTarpit is how long a request from an address over that bound
	// is held before its 429 (at most until it may try again), so that a
	// client guessing keys costs the server almost nothing. Zero: 1s;
	// negative: none.
	AuthTarpit time.Duration
	// StreamWriteTimeout is how long an event stream waits for its
	// client to take one write of at most 32 KiB: a client that stays
	// connected but stops reading is dropped after it, rather than
	// holding its stream, and Shutdown, for ever. Zero: 30s.
	StreamWriteTimeout time.Duration
	// historyPoll is how often the event stream of a run that another
	// process runs reads the history again. Zero: 1s; tests shorten it.
	historyPoll time.Duration
}

func (l *Limits) defaults() {
	set := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	if l.MaxBodyBytes <= 0 {
		l.MaxBodyBytes = DefaultMaxBodyBytes
	}
	if l.MaxHeaderBytes <= 0 {
		l.MaxHeaderBytes = DefaultMaxHeaderBytes
	}
	set(&l.ReadHeaderTimeout, DefaultReadHeaderTimeout)
	set(&l.ReadTimeout, DefaultReadTimeout)
	set(&l.WriteTimeout, DefaultWriteTimeout)
	set(&l.IdleTimeout, DefaultIdleTimeout)
	set(&l.ExecTimeout, DefaultExecTimeout)
	set(&l.StreamWriteTimeout, 30*time.Second)
	set(&l.historyPoll, time.Second)
	if l.AuthTarpit == 0 {
		l.AuthTarpit = time.Second
	}
	if l.AuthFailures.Burst <= 0 {
		l.AuthFailures = auth.Rate{PerSecond: 1, Burst: 20, Text: "20 at once, then 1/s"}
	}
}

// State is what a server reloads as one: the keys, the policy and the
// playbooks. A reload swaps all three or none.
type State struct {
	Keys      *Keys
	Policy    *auth.Policy // nil: the built-in policy
	Playbooks *Playbooks   // nil: no playbooks
}

// Config is what a Server serves.
type Config struct {
	Manager *runs.Manager
	State   State
	// Nodes are the cluster's nodes, from --inventory, as the cluster ops
	// take them; nil when there is no inventory.
	Nodes []any
	// Supervisors lists the groups of the shared process supervisor.
	Supervisors func() []string
	// Env is what runs and operations started through the API may read
	// (the --env-passthrough allow-list); nil: nothing.
	Env runs.Env
	// PublicMetrics serves /metrics without a key.
	PublicMetrics bool
	// TLS, when set, serves HTTPS; see TLSConfig.
	TLS     *tls.Config
	Limits  Limits
	Version string
	// Log receives problems the server does not answer with (a failed
	// write, a TLS handshake that failed, a panic's stack), one line, or
	// one panic, per write, with no prefix; nil: nowhere.
	Log io.Writer
	// Now tells the time (key expiry); nil: the wall clock.
	Now func() time.Time
	// Middleware, when set, wraps every request, outermost: tracing
	// continues an incoming traceparent there (telemetry.Provider.Handler).
	Middleware func(http.Handler) http.Handler
	// Sessions signs and checks the console's sessions (OpenSessions);
	// nil: no sign-in, only keys and certificates.
	Sessions *Sessions
	// SecureCookie says the console is reached over HTTPS through a
	// proxy that terminates TLS, though this server serves plain HTTP
	// (--secure-cookie): the session cookie is then Secure and __Host-
	// prefixed, and a session's requests must come from an https page,
	// as when the server serves TLS itself.
	SecureCookie bool
	// Proxies are the reverse proxies whose X-Forwarded-For (or
	// Forwarded) and X-Forwarded-Proto the server believes, for the
	// client's address (the audit's from, the failed-authentication
	// limit, log lines) and scheme; none: every request is taken at its
	// connection's address.
	Proxies Proxies
	// Console, when set, serves the GET requests for paths outside the
	// API (the web console's pages and assets); it sets its own headers.
	Console http.Handler
	// Scheduling says whether this server fires the schedules of its
	// playbooks (GET /api/v1/schedules tells the console); nil: it does
	// not.
	Scheduling func() bool
	// Queue, when set, is the run queue that replicas sharing a
	// PostgreSQL store take runs from (pkg/queue): runs asked for through
	// the API are queued there, and runs of other replicas can be read,
	// streamed and cancelled here.
	Queue *queue.Queue
	// MaxQueued bounds the runs waiting in the shared queue (Queue; serve's
	// --max-queued): while that many wait, a run asked for through the
	// API is refused with 429 and Retry-After. It bounds the whole queue,
	// as every replica counts it. 0: runs.DefaultMaxQueued; negative: a
	// run is refused while any waits.
	MaxQueued int
	// Health, when set, adds to /healthz (the store, the leadership, the
	// queue's depth); a non-nil error makes it 503 "degraded". Only the
	// fields of publicHealth, and the Reason of each HealthError in the
	// error, are shown to a caller without a key.
	Health func(ctx context.Context) (map[string]any, error)
	// Collectors are added to /metrics.
	Collectors []prometheus.Collector
}

// Server is the API server. Its methods are safe for concurrent use.
type Server struct {
	cfg     Config
	mgr     *runs.Manager
	state   atomic.Pointer[loaded]
	mux     *http.ServeMux
	handler http.Handler
	routes  []*route
	metrics *metrics
	fails   *addrLimiter
	certLog *addrLimiter  // the certificates of no certs: entry logged lately
	streams callerStreams // event streams open, by caller
	log     *log.Logger
	opsDoc  []opInfo // the operations, rendered once
	stats   *statsCache
	encoded encodedEvents
	docOnce sync.Once
	doc     map[string]any

	// reloading serialises Reload, so that each carries the rate buckets
	// of the state the one before it stored.
	reloading sync.Mutex

	mu  sync.Mutex
	srv *http.Server
	// stopCtx ends when Shutdown begins: event streams and waits end.
	stopCtx context.Context
	stop    context.CancelFunc
	// cut is set when Shutdown closes the requests that outlasted its
	// grace: an execute ended so was not left by its client.
	cut atomic.Bool
	// endCause is requestEnd, made once: every execute hands it on.
	endCause func(context.Context) error
	// admit counts the runs being queued through this server, from the
	// check of the queue's depth until they are in it (roomInQueue).
	admit admission
	// health is the /healthz problem last logged.
	health healthLog
}

// loaded is a State with what is derived from it.
type loaded struct {
	State
	rates *rateLimits
}

// New builds a server.
func New(cfg Config) (*Server, error) {
	if cfg.Manager == nil {
		return nil, errors.New("server: a run manager is required")
	}
	if cfg.State.Keys == nil {
		return nil, errors.New("server: a keys file is required")
	}
	cfg.Limits.defaults()
	if cfg.Env == nil {
		cfg.Env = runs.MapEnv{}
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Log == nil {
		cfg.Log = nopWriter{}
	}
	s := &Server{cfg: cfg, mgr: cfg.Manager, log: log.New(cfg.Log, "", 0), stats: newStatsCache()}
	s.stopCtx, s.stop = context.WithCancel(context.Background())
	s.endCause = s.requestEnd
	if err := s.Reload(cfg.State); err != nil {
		return nil, err
	}
	s.fails = newAddrLimiter(cfg.Limits.AuthFailures, cfg.Now)
	s.certLog = newAddrLimiter(auth.Rate{PerSecond: 1 / certLogEvery.Seconds(), Burst: 1}, cfg.Now)
	s.metrics = newMetrics(s)
	s.opsDoc = describeOps(s.mgr.Service().Registry())
	s.routes = s.routeTable()
	s.mux = http.NewServeMux()
	for _, rt := range s.routes {
		s.mux.Handle(rt.method+" "+rt.path, s.wrap(rt))
	}
	other := s.wrap(&route{path: "/", public: true, handle: s.other})
	s.mux.Handle("/", other)
	s.handler = cleanFirst(s.mux, other)
	if cfg.SecureCookie {
		s.handler = behindHTTPS(s.handler)
	}
	if len(cfg.Proxies.Trusted) > 0 {
		s.handler = cfg.Proxies.handler(s.handler)
	}
	if cfg.Middleware != nil {
		s.handler = cfg.Middleware(s.handler)
	}
	if cfg.Queue != nil {
		// The runs of the shared queue start here only for callers still
		// in this replica's keys file.
		cfg.Queue.SetCallerCheck(s.queuedCallerGone)
	}
	return s, nil
}

type nopWriter struct{}

func (nopWriter) Write(p []byte) (int, error) { return len(p), nil }

// Reload swaps the keys, policy and playbooks. The keys' roles must exist
// in the policy; otherwise nothing changes.
func (s *Server) Reload(st State) error {
	if st.Keys == nil {
		return errors.New("server: a keys file is required")
	}
	if st.Policy == nil {
		st.Policy = auth.Builtin()
	}
	if err := st.Keys.CheckRoles(st.Policy); err != nil {
		return err
	}
	s.reloading.Lock()
	defer s.reloading.Unlock()
	// Sessions of a key removed or changed end for good, before the keys
	// take effect; a record that cannot be written still holds in memory.
	if err := s.cfg.Sessions.noteKeys(st.Keys); err != nil {
		s.log.Printf("%v", err)
	}
	rates := newRateLimits(st.Policy.Rate, s.cfg.Now)
	if old := s.current(); old != nil {
		rates.keep(old.rates, st.Keys)
	}
	s.state.Store(&loaded{State: st, rates: rates})
	return nil
}

// keep carries into rl the token buckets of old whose rate and burst rl
// has too: fresh buckets are full, so rebuilding them all on every SIGHUP
// would hand each caller and each operation its whole quota again. A
// bucket whose rate changed starts afresh at the new rate; one whose
// pattern, or whose caller (a key name or certificate subject of keys),
// is gone is dropped. A caller whose first request races the reload may
// get its bucket made in old after the copy, and so one more fresh bucket
// here: it had its whole quota anyway.
func (rl *rateLimits) keep(old *rateLimits, keys *Keys) {
	if old == nil {
		return
	}
	if sameRate(old.conf.PerKey, rl.conf.PerKey) {
		callers := keys.callers()
		old.mu.Lock()
		for name, l := range old.caller {
			if callers[name] {
				rl.caller[name] = l
			}
		}
		old.mu.Unlock()
	}
	// ops is only read once built, and rl is not yet in use.
	was := make(map[string]auth.Rate, len(old.conf.Ops))
	for _, o := range old.conf.Ops {
		was[o.Pattern] = o.Rate
	}
	for _, o := range rl.conf.Ops {
		if r, ok := was[o.Pattern]; ok && sameRate(&r, &o.Rate) {
			rl.ops[o.Pattern] = old.ops[o.Pattern]
		}
	}
}

// sameRate reports whether a and b (nil: no limit) make the same bucket:
// the same refill and burst (Text only words them).
func sameRate(a, b *auth.Rate) bool {
	if a == nil || b == nil {
		return a == b
	}
	return a.PerSecond == b.PerSecond && a.Burst == b.Burst
}

func (s *Server) current() *loaded { return s.state.Load() }

// Handler returns the server's HTTP handler, for tests and embedding.
func (s *Server) Handler() http.Handler { return s.handler }

// httpServer returns the http.Server that Serve uses, with its timeouts
// and header bound set.
func (s *Server) httpServer() *http.Server {
	l := s.cfg.Limits
	return &http.Server{
		Handler:           s.handler,
		TLSConfig:         s.cfg.TLS,
		ReadHeaderTimeout: l.ReadHeaderTimeout,
		ReadTimeout:       l.ReadTimeout,
		WriteTimeout:      l.WriteTimeout,
		IdleTimeout:       l.IdleTimeout,
		MaxHeaderBytes:    l.MaxHeaderBytes,
		ErrorLog:          s.log,
		BaseContext:       func(net.Listener) context.Context { return context.Background() },
	}
}

// Serve accepts connections on l until Shutdown; it returns nil after a
// Shutdown. With a TLS config it serves HTTPS.
func (s *Server) Serve(l net.Listener) error {
	s.mu.Lock()
	if s.srv != nil {
		s.mu.Unlock()
		return errors.New("server: Serve called twice")
	}
	if s.stopCtx.Err() != nil {
		s.mu.Unlock()
		l.Close()
		return nil
	}
	srv := s.httpServer()
	s.srv = srv
	s.mu.Unlock()
	var err error
	if s.cfg.TLS != nil {
		err = srv.Serve(tls.NewListener(l, s.cfg.TLS))
	} else {
		err = srv.Serve(l)
	}
	if errors.Is(err, http.ErrServerClosed) {
		return nil
	}
	return err
}

// Shutdown stops accepting connections, ends event streams and long waits
// (they answer at once), and waits for the other requests in flight until
// ctx ends; then it closes what is left. Runs are not touched: the owner
// of the manager shuts it down after.
func (s *Server) Shutdown(ctx context.Context) error {
	s.stop()
	s.mu.Lock()
	srv := s.srv
	s.mu.Unlock()
	if srv == nil {
		return nil
	}
	err := srv.Shutdown(ctx)
	if err != nil {
		s.cut.Store(true)
		srv.Close()
		return fmt.Errorf("requests still in flight after the grace period were cut: %w", err)
	}
	return nil
}

// shuttingDown reports whether Shutdown began.
func (s *Server) shuttingDown() bool { return s.stopCtx.Err() != nil }
