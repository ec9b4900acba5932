package server

import (
	"crypto/x509"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"golang.org/x/time/rate"

	"github.com/arsenal-run/arsenal-run/pkg/auth"
)

// unknownKey answers a key that is in no entry of the keys file: what to
// check, without saying anything about the keys there are.
const unknownKey = "the key is not valid: give the whole ak_... key that 'arsenal-run keys new' printed; " +
	"its entry (name, sha256, roles) must be in serve's keys file, which serve rereads on SIGHUP"

// authenticate finds who calls: the API key of the Authorization header,
// else the console session of the session cookie, else the verified
// client certificate's subject. A client address with
// too many failures is refused before its key is even looked at, so that
// guessing keys from it stops.
func (s *Server) authenticate(r *http.Request) (*Principal, *apiError) {
	if e := checkQuery(r); e != nil {
		return nil, e
	}
	addr := clientAddr(r)
	if wait := s.fails.blocked(addr); wait > 0 {
		s.metrics.authFailure("blocked")
		s.tarpit(r, wait)
		return nil, tooMany(wait, "too many failed authentications from %s; try again later", failedFrom(addr))
	}
	st := s.current()
	if n := len(r.Header.Values("Authorization")); n > 1 {
		// Which one a proxy or client meant is not for the server to
		// guess: judging the first would let a second (a key added by a
		// proxy, a forgotten -H) pass unnoticed, or be the one refused.
		return nil, byField("Authorization", s.refused("malformed", "the request has %d Authorization headers; send exactly one: Authorization: Bearer KEY", n))
	}
	header := r.Header.Get("Authorization")
	if header == "" {
		if token := sessionToken(r); token != "" {
			return s.fromSession(r.Context(), token, st.Keys)
		}
		if p := s.fromCert(r, st.Keys); p != nil {
			return p, nil
		}
		if c := s.certExpired(r); c != nil {
			// The handshake judged it when the connection opened; a
			// connection kept alive past its end must not go on with it.
			end := c.NotAfter.UTC().Format(time.RFC3339)
			if leaf := verifiedCert(r); leaf != c {
				// Renewing the client's certificate would not help.
				return nil, s.refused("expired_certificate", "the CA (%s) of the client certificate (%s) expired at %s; the server's --client-ca needs the renewed CA, and the client to connect again; or send Authorization: Bearer KEY", certNames(c), certNames(leaf), end)
			}
			return nil, s.refused("expired_certificate", "the client certificate (%s) expired at %s; renew it and connect again, or send Authorization: Bearer KEY", certNames(c), end)
		}
		if c := verifiedCert(r); c != nil {
			return nil, s.unknownCert(r, c, st.Keys)
		}
		return nil, byField("Authorization", s.refused("missing", "no credentials: send Authorization: Bearer KEY"))
	}
	scheme, key, ok := strings.Cut(header, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") || strings.TrimSpace(key) == "" {
		return nil, byField("Authorization", s.failed(addr, "malformed", "the Authorization header must be 'Bearer KEY'"))
	}
	k := st.Keys.lookup(strings.TrimSpace(key))
	if k == nil {
		return nil, byField("Authorization", s.failed(addr, "unknown", unknownKey))
	}
	if !k.expires.IsZero() && !s.cfg.Now().Before(k.expires) {
		return nil, byField("Authorization", s.failed(addr, "expired", "the key %s expired at %s; ask for a new one", k.name, k.expires.UTC().Format(time.RFC3339)))
	}
	// The key's caller, made when the keys file was read: it is not
	// changed, and a reload makes new ones.
	return &k.caller, nil
}

// tarpit holds a request of a blocked address for Limits.AuthTarpit (at
// most until it may try again), or until the client goes or the server
// stops: a guessing client then sends a request a second per connection
// instead of thousands, and valid traffic keeps the CPU.
func (s *Server) tarpit(r *http.Request, wait time.Duration) {
	d := min(s.cfg.Limits.AuthTarpit, wait)
	if d <= 0 {
		return
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
	case <-r.Context().Done():
	case <-s.stopCtx.Done():
	}
}

// failed counts a failed authentication of addr: 401, or 429 once the
// address is over its budget.
func (s *Server) failed(addr, why, format string, args ...any) *apiError {
	s.metrics.authFailure(why)
	if wait := s.fails.fail(addr); wait > 0 {
		return tooMany(wait, "too many failed authentications from %s; try again later", failedFrom(addr))
	}
	return errorf(http.StatusUnauthorized, ClassAuthentication, format, args...)
}

// byField names field (the header, cookie or parameter that carried the
// credentials) as the cause of a 401; a 429 is the address's, not a
// field's.
func byField(field string, e *apiError) *apiError {
	if e != nil && e.Status == http.StatusUnauthorized {
		e.Field = field
	}
	return e
}

// refused answers 401 to a request that guessed nothing: one with no
// credentials (a signed-out console page loading), or with a session
// cookie this server did not sign (another server's on the same host,
// since cookies do not go by port, or one from an earlier state dir). It
// does not count towards the address's 429: there was nothing to guess,
// and a browser that keeps such a cookie reloads its page again and again.
func (s *Server) refused(why, format string, args ...any) *apiError {
	s.metrics.authFailure(why)
	return errorf(http.StatusUnauthorized, ClassAuthentication, format, args...)
}

// fromCert maps a verified client certificate to its rule in the keys
// file (see certRule.matches).
func (s *Server) fromCert(r *http.Request, keys *Keys) *Principal {
	c := verifiedCert(r)
	if c == nil {
		return nil
	}
	if s.certExpired(r) != nil {
		return nil
	}
	rule := keys.forCert(c)
	if rule == nil {
		return nil
	}
	return &Principal{Name: rule.subject, Roles: rule.roles, Via: "certificate"}
}

// verifiedCert is the client certificate of a request whose chain the
// TLS handshake verified against --client-ca; nil when there is none.
func verifiedCert(r *http.Request) *x509.Certificate {
	if r.TLS == nil || len(r.TLS.VerifiedChains) == 0 || len(r.TLS.VerifiedChains[0]) == 0 {
		return nil
	}
	return r.TLS.VerifiedChains[0][0]
}

// certExpired returns the certificate of the request's verified chain
// (the client's or a CA's) whose validity ended by now; nil when none
// did. The TLS handshake checks the dates once, when the connection
// opens; requests on a connection kept alive, and an event stream open
// for hours, come after. A chain still valid is enough: with a CA and
// its renewal in --client-ca, the handshake verified a chain through
// each, and the old CA's end leaves the one through the renewal.
func (s *Server) certExpired(r *http.Request) *x509.Certificate {
	if r.TLS == nil || len(r.TLS.VerifiedChains) == 0 {
		return nil
	}
	now := s.cfg.Now()
	var first *x509.Certificate
	for i, chain := range r.TLS.VerifiedChains {
		ended := chainEnded(chain, now)
		if ended == nil {
			return nil
		}
		if i == 0 {
			first = ended
		}
	}
	return first
}

// chainEnded is the first certificate of chain whose validity ended by
// now; nil when none did.
func chainEnded(chain []*x509.Certificate, now time.Time) *x509.Certificate {
	for _, c := range chain {
		if !now.Before(c.NotAfter) {
			return c
		}
	}
	return nil
}

// clientAddr is the client's address: the one a trusted proxy's headers
// give (Config.Proxies), else the one the connection comes from. Headers
// such as X-Forwarded-For from any other address are not read: any client
// can set them.
func clientAddr(r *http.Request) string {
	if a, ok := r.Context().Value(clientKey{}).(string); ok {
		return a
	}
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// rateLimits are the policy's rate: block as token buckets: one per
// caller (callers are the keys and certificate rules of the keys file, so
// their number is bounded by it) and one per op pattern.
type rateLimits struct {
	conf   auth.RateLimits
	now    func() time.Time
	mu     sync.Mutex
	caller map[string]*rate.Limiter
	ops    map[string]*rate.Limiter
}

func newRateLimits(c auth.RateLimits, now func() time.Time) *rateLimits {
	rl := &rateLimits{conf: c, now: now, caller: map[string]*rate.Limiter{}, ops: map[string]*rate.Limiter{}}
	for _, o := range c.Ops {
		rl.ops[o.Pattern] = rate.NewLimiter(rate.Limit(o.Rate.PerSecond), o.Rate.Burst)
	}
	return rl
}

// allowCaller takes a token of the caller's bucket.
func (rl *rateLimits) allowCaller(name string) *apiError {
	if rl.conf.PerKey == nil {
		return nil
	}
	rl.mu.Lock()
	l, ok := rl.caller[name]
	if !ok {
		l = rate.NewLimiter(rate.Limit(rl.conf.PerKey.PerSecond), rl.conf.PerKey.Burst)
		rl.caller[name] = l
	}
	rl.mu.Unlock()
	if wait := takeOrWait(l, rl.now()); wait > 0 {
		return tooMany(wait, "%s is over its rate of %s (rate.per_key in the policy)", name, rl.conf.PerKey.Text)
	}
	return nil
}

// allowOp takes a token of every bucket whose pattern matches op; when one
// is empty it takes none and answers 429. It returns what gives the
// tokens back, for a call that did not run (refund).
func (rl *rateLimits) allowOp(op string) (refund func(), e *apiError) {
	rates := rl.conf.For(op)
	if len(rates) == 0 {
		return func() {}, nil
	}
	now := rl.now()
	var taken []*rate.Reservation
	for _, r := range rates {
		res := rl.ops[r.Pattern].ReserveN(now, 1)
		if d := res.DelayFrom(now); !res.OK() || d > 0 {
			res.CancelAt(now)
			for _, t := range taken {
				t.CancelAt(now)
			}
			return nil, tooMany(max(d, time.Second), "%s is over its rate of %s (rate.ops.%s in the policy)", op, r.Rate.Text, r.Pattern)
		}
		taken = append(taken, res)
	}
	// Cancelled as of when they were taken: x/time/rate gives back
	// nothing of a reservation whose moment has passed.
	return func() {
		for _, t := range taken {
			t.CancelAt(now)
		}
	}, nil
}

// refund gives back the tokens a call took when it did not run: refused
// by the policy (403) or for its request (400). A rate limits executions;
// calls a caller may not make must not spend the executions of those who
// may (a viewer's denied process.kill emptying the bucket of process.*).
func refund(give func(), e *apiError) {
	if e != nil && (e.Status == http.StatusForbidden || e.Status == http.StatusBadRequest) {
		give()
	}
}

func takeOrWait(l *rate.Limiter, now time.Time) time.Duration {
	r := l.ReserveN(now, 1)
	if d := r.DelayFrom(now); !r.OK() || d > 0 {
		r.CancelAt(now)
		return max(d, time.Second)
	}
	return 0
}
