package server

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"
)

// signInRequest is the body of POST /api/v1/session.
type signInRequest struct {
	Key string `json:"key"`
}

// sessionInfo describes who a request is, for the console: the key's
// name and roles, and for a session its expiry and CSRF token.
type sessionInfo struct {
	Name      string     `json:"name"`
	Roles     []string   `json:"roles"`
	Via       string     `json:"via"`
	ExpiresAt *time.Time `json:"expires_at,omitempty"`
	CSRFToken string     `json:"csrf_token,omitempty"`
}

// POST /api/v1/session: sign in with a key. The answer sets the session
// cookie and carries the CSRF token; the key itself is kept nowhere.
// Failed sign-ins count against the client address like failed keys.
func (s *Server) signIn(w http.ResponseWriter, r *http.Request, _ *Principal) *apiError {
	if e := checkQuery(r); e != nil {
		return e
	}
	if e := onlyParams(r.URL.Query()); e != nil {
		return e
	}
	sessions := s.cfg.Sessions
	if sessions == nil {
		return notFound("this server has no console sessions: start serve with --state-dir or --state")
	}
	addr := clientAddr(r)
	if wait := s.fails.blocked(addr); wait > 0 {
		s.metrics.authFailure("blocked")
		s.tarpit(r, wait)
		return tooMany(wait, "too many failed authentications from %s; try again later", failedFrom(addr))
	}
	var body signInRequest
	if e := decodeStrict(r, s.cfg.Limits.MaxBodyBytes, &body); e != nil {
		return e
	}
	key := strings.TrimSpace(body.Key)
	if scheme, rest, ok := strings.Cut(key, " "); ok && strings.EqualFold(scheme, "Bearer") {
		// Pasted with the header's scheme, as server.md's curl lines show it.
		key = strings.TrimSpace(rest)
	}
	if key == "" {
		return badField("key", "give an API key, as 'arsenal-run keys new' printed it")
	}
	k := s.current().Keys.lookup(key)
	if k == nil {
		return byField("key", s.failed(addr, "unknown", unknownKey))
	}
	if !k.expires.IsZero() && !s.cfg.Now().Before(k.expires) {
		return byField("key", s.failed(addr, "expired", "the key %s expired at %s; ask for a new one", k.name, k.expires.UTC().Format(time.RFC3339)))
	}
	token, sess, err := sessions.issue(k)
	if err != nil {
		return errorf(http.StatusInternalServerError, ClassInternal, "cannot sign the session: %v", err)
	}
	http.SetCookie(w, sessionCookie(r, token, sess.expires, s.cfg.Now()))
	exp := sess.expires.UTC()
	writeJSON(w, http.StatusCreated, sessionInfo{Name: sess.name, Roles: sess.roles, Via: "session", ExpiresAt: &exp, CSRFToken: sessions.csrf(sess.id)})
	return nil
}

// GET /api/v1/session: who the request is. A session also gets its CSRF
// token again, so that a reloaded page can go on.
func (s *Server) whoAmI(w http.ResponseWriter, r *http.Request, c *Principal) *apiError {
	if e := onlyParams(r.URL.Query()); e != nil {
		return e
	}
	info := sessionInfo{Name: c.Name, Roles: c.Roles, Via: c.Via}
	switch {
	case c.session != nil:
		exp := c.session.expires.UTC()
		info.ExpiresAt, info.CSRFToken = &exp, s.cfg.Sessions.csrf(c.session.id)
	case c.Via == "key":
		if k := s.current().Keys.named(c.Name); k != nil && !k.expires.IsZero() {
			exp := k.expires.UTC()
			info.ExpiresAt = &exp
		}
	}
	writeJSON(w, http.StatusOK, info)
	return nil
}

// DELETE /api/v1/session: sign out. The session is revoked for good, so
// its cookie, replayed, is refused; the browser is told to drop it.
func (s *Server) signOut(w http.ResponseWriter, r *http.Request, c *Principal) *apiError {
	if e := onlyParams(r.URL.Query()); e != nil {
		return e
	}
	if c.session == nil {
		return errorf(http.StatusBadRequest, ClassValidation, "this request is not signed in with a session cookie; there is no session to end")
	}
	if err := s.cfg.Sessions.revoke(r.Context(), *c.session); err != nil {
		return errorf(http.StatusInternalServerError, ClassInternal, "%v", err)
	}
	http.SetCookie(w, sessionCookie(r, "", time.Time{}, s.cfg.Now()))
	writeJSON(w, http.StatusOK, map[string]any{"signed_out": true})
	return nil
}

// cookieGrace is how long the session cookie outlives its session. Were
// the cookie to go when the session expires, a page opened later would
// send nothing and could only ask for a key, as on a first visit; the
// expired token it sends instead is refused with "the session expired",
// which the sign-in form shows. An expired token authenticates nothing
// and is refused before its key is looked at, so that answer says no
// more than that.
const cookieGrace = 7 * 24 * time.Hour

// httpsKey marks the requests of a server started with --secure-cookie
// (Config.SecureCookie): its console is reached over HTTPS through a
// proxy, though the request came in plain HTTP.
type httpsKey struct{}

// behindHTTPS marks every request of h as reached over HTTPS (see
// httpsKey).
func behindHTTPS(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), httpsKey{}, true)))
	})
}

// overHTTPS reports whether the browser reaches the console over HTTPS:
// the request came over TLS, the server was told that a proxy terminates
// TLS in front of it (--secure-cookie), or a trusted proxy's
// X-Forwarded-Proto (or Forwarded proto=) says https (Config.Proxies).
func overHTTPS(r *http.Request) bool {
	if r.TLS != nil {
		return true
	}
	v, _ := r.Context().Value(httpsKey{}).(bool)
	return v
}

// sessionCookie is the session cookie for token, or, with no token, the
// one that deletes it. Over HTTPS (TLS, or --secure-cookie behind a
// proxy) it is Secure and __Host- prefixed (Path=/ and no Domain, so no
// other host or path can set it); it is always HttpOnly (no script reads
// it) and SameSite=Strict (no other site's page sends it). It lasts
// cookieGrace longer than the session.
func sessionCookie(r *http.Request, token string, expires, now time.Time) *http.Cookie {
	c := &http.Cookie{Name: cookieName, Value: token, Path: "/", HttpOnly: true, SameSite: http.SameSiteStrictMode}
	if overHTTPS(r) {
		c.Name, c.Secure = secureCookieName, true
	}
	if token == "" {
		c.MaxAge = -1
	} else {
		c.MaxAge = max(int(expires.Add(cookieGrace).Sub(now)/time.Second), 1)
	}
	return c
}

// sessionToken is the session cookie's value of a request, "" without
// one. Over HTTPS only the __Host- cookie counts: a plain one could have
// been set by another host of the domain, or over plain HTTP.
func sessionToken(r *http.Request) string {
	name := cookieName
	if overHTTPS(r) {
		name = secureCookieName
	}
	c, err := r.Cookie(name)
	if err != nil {
		return ""
	}
	return c.Value
}

// fromSession checks a session token: valid, and its key still in the
// keys file with the same roles and not expired, so that removing a key,
// replacing it or changing its roles (and SIGHUP) ends its sessions. No
// refused token counts as a failed authentication: one not signed by this
// server's key cannot be guessed at (its signature is an HMAC with a
// 256-bit key), and an expired or signed-out one was real.
func (s *Server) fromSession(ctx context.Context, token string, keys *Keys) (*Principal, *apiError) {
	sessions := s.cfg.Sessions
	if sessions == nil {
		return nil, byField(cookieName, s.refused("session", "this server has no console sessions; send Authorization: Bearer KEY"))
	}
	sess, err := sessions.check(ctx, token)
	switch {
	case errors.Is(err, errBadToken):
		return nil, byField(cookieName, s.refused("session", "%v", err))
	case errors.Is(err, errUncheckedToken):
		return nil, unavailable(storeRetryAfter, "%v", err)
	case err != nil:
		s.metrics.authFailure("session")
		return nil, byField(cookieName, errorf(http.StatusUnauthorized, ClassAuthentication, "%v", err))
	}
	if why := s.sessionProblem(sess, keys); why != "" {
		s.metrics.authFailure("session")
		return nil, byField(cookieName, errorf(http.StatusUnauthorized, ClassAuthentication, "%s", why))
	}
	return &Principal{Name: sess.name, Roles: sess.roles, Via: "session", session: &sess, print: sess.key}, nil
}

// sessionProblem says why a valid session token no longer stands for its
// key, or "": the key is gone, expired, has other roles or another
// digest, or was removed or changed after the session began (and put
// back since: see Sessions.noteKeys).
func (s *Server) sessionProblem(sess session, keys *Keys) string {
	k := keys.named(sess.name)
	switch {
	case k == nil:
		return "the key " + sess.name + " of this session is no longer in the keys file; sign in again"
	case !k.expires.IsZero() && !s.cfg.Now().Before(k.expires):
		return "the key " + sess.name + " of this session expired; sign in with a new one"
	case !sameRoles(k.roles, sess.roles):
		return "the roles of the key " + sess.name + " changed; sign in again"
	case k.print != sess.key:
		return "the key " + sess.name + " of this session was replaced; sign in with the new one"
	case s.cfg.Sessions.changedSince(sess):
		return "the key " + sess.name + " was removed or changed since this session began; sign in again"
	}
	return ""
}

func sameRoles(a, b []string) bool {
	a, b = slices.Clone(a), slices.Clone(b)
	slices.Sort(a)
	slices.Sort(b)
	return slices.Equal(a, b)
}

// checkCSRF refuses a state-changing request of a session that does not
// carry the session's CSRF token, or that comes from a page of another
// origin. Safe methods change nothing and need neither; requests with a
// key are not sent by a browser on its own and need neither either.
func (s *Server) checkCSRF(r *http.Request, c *Principal) *apiError {
	if c.session == nil {
		return nil
	}
	switch r.Method {
	case http.MethodGet, http.MethodHead, http.MethodOptions:
		return nil
	}
	if origin := r.Header.Get("Origin"); origin != "" {
		u, err := url.Parse(origin)
		if err != nil || !strings.EqualFold(u.Host, r.Host) {
			e := errorf(http.StatusForbidden, ClassAuthorization, "the request comes from a page of %s, not of this server; a session's requests must come from the console", origin)
			e.Rule = "a session's state-changing requests must come from the console's own origin"
			return e
		}
		if overHTTPS(r) && !strings.EqualFold(u.Scheme, "https") {
			// The console is served over HTTPS (TLS, or a proxy with
			// --secure-cookie): a page of the same host over plain HTTP
			// is not it.
			e := errorf(http.StatusForbidden, ClassAuthorization, "the request comes from a page of %s, not of this server over HTTPS; open the console at https://%s", origin, u.Host)
			e.Rule = "a session's state-changing requests must come from the console's own origin"
			return e
		}
	}
	if !s.cfg.Sessions.checkCSRF(c.session.id, r.Header.Get(CSRFHeader)) {
		e := errorf(http.StatusForbidden, ClassAuthorization, "missing or wrong CSRF token: a request of a console session that changes something must send the header %s with the token the sign-in answered", CSRFHeader)
		e.Rule = "a session's state-changing requests must carry its CSRF token"
		return e
	}
	return nil
}
