package server

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// tlsClient trusts the test CA.
func tlsClient(t *testing.T, ca *testCA) *http.Client {
	roots := x509.NewCertPool()
	roots.AppendCertsFromPEM(ca.pem)
	tr := &http.Transport{TLSClientConfig: &tls.Config{RootCAs: roots}}
	t.Cleanup(tr.CloseIdleConnections)
	return &http.Client{Transport: tr, Timeout: 20 * time.Second}
}

// consoleSession is a signed-in session: its cookie and CSRF token.
type consoleSession struct {
	cookie string // name=value, as a browser sends it
	csrf   string
	raw    *http.Cookie
}

// signIn signs in with the key called name and checks the cookie's
// attributes.
func (ts *testServer) signIn(t *testing.T, name string) consoleSession {
	t.Helper()
	r := ts.do(request{method: "POST", path: "/api/v1/session", body: map[string]any{"key": ts.keys[name]}}).want(t, 201)
	var c *http.Cookie
	for _, sc := range (&http.Response{Header: r.header}).Cookies() {
		if strings.HasSuffix(sc.Name, cookieName) {
			c = sc
		}
	}
	if c == nil {
		t.Fatalf("the sign-in set no session cookie: %v", r.header["Set-Cookie"])
	}
	if !c.HttpOnly || c.SameSite != http.SameSiteStrictMode || c.Path != "/" || c.MaxAge <= 0 {
		t.Errorf("session cookie %q: want HttpOnly, SameSite=Strict, Path=/ and a Max-Age", r.header.Get("Set-Cookie"))
	}
	body := r.json(t)
	if body["name"] != name || body["via"] != "session" || body["csrf_token"] == "" {
		t.Errorf("sign-in answer %v", body)
	}
	if strings.Contains(string(r.body), ts.keys[name]) {
		t.Errorf("the sign-in answer holds the key")
	}
	return consoleSession{cookie: c.Name + "=" + c.Value, csrf: body["csrf_token"].(string), raw: c}
}

// as sends a request as the session: its cookie, and its CSRF token when
// csrf is set.
func (ts *testServer) as(s consoleSession, method, path string, body any, csrf bool) *resp {
	ts.t.Helper()
	h := map[string]string{"Cookie": s.cookie}
	if csrf {
		h[CSRFHeader] = s.csrf
	}
	return ts.do(request{method: method, path: path, body: body, header: h})
}

// TestSessionSignInAndOut walks a console session: sign in with a key;
// the cookie authenticates with the key's name and roles; a request that
// changes something needs the CSRF token (missing, wrong, or from another
// origin: 403); sign-out revokes the session, so the old cookie replayed
// is refused, also by a server started again on the state dir. Bearer
// keys work as before, without a token.
func TestSessionSignInAndOut(t *testing.T) {
	ts := newTestServer(t)
	s := ts.signIn(t, "operator")
	if s.raw.Secure {
		t.Errorf("over plain HTTP the cookie is Secure: %v", s.raw)
	}
	me := ts.as(s, "GET", "/api/v1/session", nil, false).want(t, 200).json(t)
	if me["name"] != "operator" || me["via"] != "session" || me["csrf_token"] != s.csrf || me["roles"].([]any)[0] != "operator" {
		t.Errorf("GET /api/v1/session: %v", me)
	}
	ts.as(s, "GET", "/api/v1/playbooks", nil, false).want(t, 200)

	start := map[string]any{"inputs": map[string]any{}}
	e := ts.as(s, "POST", "/api/v1/playbooks/hello/runs", start, false).wantError(t, 403, ClassAuthorization)
	if !strings.Contains(e["message"].(string), "CSRF") {
		t.Errorf("a request without the CSRF token: %v", e)
	}
	wrong := s
	wrong.csrf = strings.Repeat("A", len(s.csrf))
	ts.as(wrong, "POST", "/api/v1/playbooks/hello/runs", start, true).wantError(t, 403, ClassAuthorization)
	ts.do(request{method: "POST", path: "/api/v1/playbooks/hello/runs", body: start,
		header: map[string]string{"Cookie": s.cookie, CSRFHeader: s.csrf, "Origin": "https://evil.example"}}).wantError(t, 403, ClassAuthorization)
	run := ts.as(s, "POST", "/api/v1/playbooks/hello/runs", start, true).want(t, 202).json(t)
	runs := ts.get("admin", "/api/v1/runs?playbook=hello").want(t, 200).json(t)["runs"].([]any)
	if len(runs) == 0 || runs[0].(map[string]any)["id"] != run["run_id"] || runs[0].(map[string]any)["started_by"] != "operator" {
		t.Errorf("the run of the session: %v", runs)
	}
	ts.post("operator", "/api/v1/playbooks/hello/runs", start).want(t, 202) // a key needs no token

	ts.as(s, "DELETE", "/api/v1/session", nil, false).wantError(t, 403, ClassAuthorization)
	out := ts.as(s, "DELETE", "/api/v1/session", nil, true)
	out.want(t, 200)
	if sc := out.header.Get("Set-Cookie"); !strings.Contains(sc, "Max-Age=0") || !strings.Contains(sc, cookieName+"=;") {
		t.Errorf("sign-out does not delete the cookie: %q", sc)
	}
	e = ts.as(s, "GET", "/api/v1/playbooks", nil, false).wantError(t, 401, ClassAuthentication)
	if !strings.Contains(e["message"].(string), "signed out") {
		t.Errorf("the replayed cookie: %v", e)
	}
	ts.as(s, "POST", "/api/v1/playbooks/hello/runs", start, true).wantError(t, 401, ClassAuthentication)

	again, err := OpenSessions(ts.state, 0, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := again.check(context.Background(), strings.TrimPrefix(s.cookie, cookieName+"=")); err != errRevokedToken {
		t.Errorf("after a restart the signed-out session is %v, want revoked", err)
	}
	ts.do(request{method: "DELETE", path: "/api/v1/session", key: "operator"}).wantError(t, 400, ClassValidation)
}

// TestSessionSignInWithTheHeaderForm: a key pasted as the Authorization
// header has it ("Bearer ak_...") signs in as the key alone does.
func TestSessionSignInWithTheHeaderForm(t *testing.T) {
	ts := newTestServer(t)
	ts.do(request{method: "POST", path: "/api/v1/session", body: map[string]any{"key": "Bearer " + ts.keys["viewer"]}}).want(t, 201)
}

// TestSessionSignInRefusals: a wrong key is 401 and counts as a failed
// authentication, up to 429; an expired key is refused; an empty body is 400; a key in the URL is
// never looked at.
func TestSessionSignInRefusals(t *testing.T) {
	ts := newTestServer(t, func(c *Config) {
		c.Limits.AuthFailures.Burst, c.Limits.AuthFailures.PerSecond = 3, 0.001
		c.Limits.AuthTarpit = -1
	})
	ts.do(request{method: "POST", path: "/api/v1/session", body: map[string]any{"key": ""}}).wantError(t, 400, ClassValidation)
	ts.do(request{method: "POST", path: "/api/v1/session", body: map[string]any{"key": ts.keys["old"]}}).wantError(t, 401, ClassAuthentication)
	e := ts.do(request{method: "POST", path: "/api/v1/session", body: map[string]any{"key": "ak_wrong"}}).wantError(t, 401, ClassAuthentication)
	if msg, _ := e["message"].(string); e["field"] != "key" || !strings.Contains(msg, "keys new") || !strings.Contains(msg, "SIGHUP") {
		t.Errorf("a wrong key does not say what to check: %v", e)
	}
	ts.do(request{method: "POST", path: "/api/v1/session", body: map[string]any{"key": "ak_wrong"}}).want(t, 401)
	ts.do(request{method: "POST", path: "/api/v1/session", body: map[string]any{"key": "ak_wrong"}}).wantError(t, 429, ClassRateLimited)
	ts.do(request{method: "POST", path: "/api/v1/session", body: map[string]any{"key": ts.keys["admin"]}}).wantError(t, 429, ClassRateLimited)
}

// TestSignInLimitNamesNoField: an unknown key whose failure is the one
// past the limit (two sign-ins of one address checked at once, each let
// through before the other failed) is 429, the address's, and names no
// field: the key box is not what to fix. It named "key".
func TestSignInLimitNamesNoField(t *testing.T) {
	ts := newTestServer(t, func(c *Config) {
		c.Limits.AuthFailures.Burst, c.Limits.AuthFailures.PerSecond = 1, 0.001
		c.Limits.AuthTarpit = -1
	})
	// The other sign-in's failure, after this one was let through.
	ts.srv.fails.fail("127.0.0.1")
	e := byField("key", ts.srv.failed("127.0.0.1", "unknown", unknownKey))
	if e == nil || e.Status != 429 || e.Class != ClassRateLimited {
		t.Fatalf("the failure past the limit: %+v, want 429", e)
	}
	if e.Field != "" {
		t.Errorf("the 429 of an unknown key names field %q; the limit is the address's", e.Field)
	}
}

// TestSessionTokenForgeries: a token signed with another key, one that
// names its own algorithm (none, or HS384), and junk are refused; so is a
// token whose key left the keys file or whose roles changed.
func TestSessionTokenForgeries(t *testing.T) {
	ts := newTestServer(t)
	s := ts.signIn(t, "viewer")
	claims := sessionClaims{Roles: []string{"admin"}, RegisteredClaims: jwt.RegisteredClaims{
		Issuer: tokenIssuer, Audience: jwt.ClaimStrings{tokenAudience}, Subject: "admin", ID: "forged",
		IssuedAt: jwt.NewNumericDate(time.Now()), ExpiresAt: jwt.NewNumericDate(time.Now().Add(time.Hour)),
	}}
	otherKey, _ := jwt.NewWithClaims(jwt.SigningMethodHS256, claims).SignedString([]byte("not the state dir's key, 32 byte"))
	none, _ := jwt.NewWithClaims(jwt.SigningMethodNone, claims).SignedString(jwt.UnsafeAllowNoneSignatureType)
	key := ts.srv.cfg.Sessions.key
	hs384, _ := jwt.NewWithClaims(jwt.SigningMethodHS384, claims).SignedString(key)
	for name, token := range map[string]string{"another key": otherKey, "alg none": none, "HS384": hs384, "junk": "a.b.c", "the viewer's with a byte changed": flip(strings.TrimPrefix(s.cookie, cookieName+"="))} {
		e := ts.do(request{method: "GET", path: "/api/v1/session", header: map[string]string{"Cookie": cookieName + "=" + token}}).wantError(t, 401, ClassAuthentication)
		if !strings.Contains(e["message"].(string), "not valid") {
			t.Errorf("%s: %v", name, e)
		}
	}
	// The same claims signed with the state dir's key and HS256 are
	// accepted: the refusals above are for the signature and algorithm.
	claims.Key = keyPrint(ts.srv.current().State.Keys.named("admin"))
	good, _ := jwt.NewWithClaims(jwt.SigningMethodHS256, claims).SignedString(key)
	ts.do(request{method: "GET", path: "/api/v1/session", header: map[string]string{"Cookie": cookieName + "=" + good}}).want(t, 200)

	// The key's roles change, then the key goes: its session ends.
	st := ts.srv.current().State
	_, digest, _ := NewKey()
	keys, err := ParseKeys("k.yaml", []byte("version: 1\nkeys:\n  - {name: viewer, sha256: "+digest+", roles: [operator]}\n"))
	if err != nil {
		t.Fatal(err)
	}
	st.Keys = keys
	if err := ts.srv.Reload(st); err != nil {
		t.Fatal(err)
	}
	e := ts.as(s, "GET", "/api/v1/session", nil, false).wantError(t, 401, ClassAuthentication)
	if !strings.Contains(e["message"].(string), "roles of the key viewer changed") {
		t.Errorf("after the roles changed: %v", e)
	}
	keys, _ = ParseKeys("k.yaml", []byte("version: 1\nkeys:\n  - {name: other, sha256: "+digest+", roles: [viewer]}\n"))
	st.Keys = keys
	if err := ts.srv.Reload(st); err != nil {
		t.Fatal(err)
	}
	e = ts.as(s, "GET", "/api/v1/session", nil, false).wantError(t, 401, ClassAuthentication)
	if !strings.Contains(e["message"].(string), "no longer in the keys file") {
		t.Errorf("after the key went: %v", e)
	}
}

// TestSessionEndsWhenItsKeyIsReplaced: a leaked key replaced under the
// same name and roles (and SIGHUP) ends the sessions signed in with it;
// the new key works.
func TestSessionEndsWhenItsKeyIsReplaced(t *testing.T) {
	ts := newTestServer(t)
	s := ts.signIn(t, "operator")
	newKey, digest, err := NewKey()
	if err != nil {
		t.Fatal(err)
	}
	keys, err := ParseKeys("k.yaml", []byte("version: 1\nkeys:\n  - {name: operator, sha256: "+digest+", roles: [operator]}\n"))
	if err != nil {
		t.Fatal(err)
	}
	st := ts.srv.current().State
	st.Keys = keys
	if err := ts.srv.Reload(st); err != nil {
		t.Fatal(err)
	}
	e := ts.as(s, "POST", "/api/v1/operations/control.noop/execute", map[string]any{}, true).wantError(t, 401, ClassAuthentication)
	if !strings.Contains(e["message"].(string), "was replaced") {
		t.Errorf("the session of the replaced key: %v", e)
	}
	ts.do(request{method: "GET", path: "/api/v1/session", rawKey: newKey}).want(t, 200)
}

// flip changes one character of the token's signature.
func flip(token string) string {
	b := []byte(token)
	i := len(b) - 2
	if b[i] == 'A' {
		b[i] = 'B'
	} else {
		b[i] = 'A'
	}
	return string(b)
}

// TestSessionExpires: a session ends after its lifetime, or when its key
// expires if that is sooner.
func TestSessionExpires(t *testing.T) {
	var now atomic.Int64
	now.Store(time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC).Unix())
	clock := func() time.Time { return time.Unix(now.Load(), 0) }
	dir := t.TempDir()
	s, err := OpenSessions(dir, time.Hour, clock)
	if err != nil {
		t.Fatal(err)
	}
	k := &apiKey{name: "ci", roles: []string{"operator"}}
	token, sess, err := s.issue(k)
	if err != nil || !sess.expires.Equal(clock().Add(time.Hour)) {
		t.Fatalf("issue: %v, expires %v", err, sess.expires)
	}
	if _, err := s.check(context.Background(), token); err != nil {
		t.Fatalf("a fresh token: %v", err)
	}
	now.Add(int64(time.Hour/time.Second) + 10)
	if _, err := s.check(context.Background(), token); err != errExpiredToken {
		t.Errorf("after its lifetime: %v, want expired", err)
	}
	k.expires = clock().Add(10 * time.Minute)
	_, sess, _ = s.issue(k)
	if !sess.expires.Equal(k.expires) {
		t.Errorf("a key expiring in 10m gets a session until %v", sess.expires)
	}
	if _, err := OpenSessions(dir, time.Second, clock); err == nil {
		t.Error("a one-second lifetime is accepted")
	}
}

// TestSessionCookieOutlivesItsSession: the cookie lasts cookieGrace past
// the session's end, so that a page opened after it ended still sends the
// token; the server then answers 401 with "the session expired" and no
// more (not whose session it was), and counts no failed authentication,
// so that a reload does not bring its address nearer a 429.
func TestSessionCookieOutlivesItsSession(t *testing.T) {
	var now atomic.Int64
	now.Store(time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC).Unix())
	clock := func() time.Time { return time.Unix(now.Load(), 0) }
	ts := newTestServer(t, func(c *Config) {
		sessions, err := OpenSessions(t.TempDir(), time.Hour, clock)
		if err != nil {
			t.Fatal(err)
		}
		c.Sessions, c.Now = sessions, clock
		c.Limits.AuthFailures.Burst, c.Limits.AuthFailures.PerSecond = 3, 0.001
		c.Limits.AuthTarpit = -1
	})
	s := ts.signIn(t, "operator")
	if want := int((time.Hour + cookieGrace) / time.Second); s.raw.MaxAge != want {
		t.Errorf("the cookie's Max-Age is %d s, want %d (the session's hour and the grace)", s.raw.MaxAge, want)
	}
	now.Add(int64(time.Hour/time.Second) + 10)
	for range 5 {
		r := ts.as(s, "GET", "/api/v1/session", nil, false)
		e := r.wantError(t, 401, ClassAuthentication)
		if e["message"] != "the session expired; sign in again" {
			t.Errorf("the expired session's cookie: %v", e)
		}
		if strings.Contains(string(r.body), "operator") {
			t.Errorf("the answer to an expired session's cookie names its key: %s", r.body)
		}
	}
	ts.do(request{method: "GET", path: "/api/v1/session", key: "operator"}).want(t, 200)
}

// TestSessionKeyFile: the signing key is made with mode 0600 and kept
// across restarts (sessions survive them); a key file others may read,
// or a symlink, is refused.
func TestSessionKeyFile(t *testing.T) {
	dir := t.TempDir()
	s1, err := OpenSessions(dir, 0, nil)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, SessionKeyFile)
	fi, err := os.Stat(path)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("key file: %v, mode %v", err, fi.Mode())
	}
	token, _, err := s1.issue(&apiKey{name: "ci", roles: []string{"viewer"}})
	if err != nil {
		t.Fatal(err)
	}
	s2, err := OpenSessions(dir, 0, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s2.check(context.Background(), token); err != nil {
		t.Errorf("a session does not survive a restart: %v", err)
	}
	if s1.csrf("x") != s2.csrf("x") || s1.csrf("x") == s1.csrf("y") {
		t.Error("CSRF tokens are not bound to the session and the state dir's key")
	}
	mac := hmac.New(sha256.New, s1.key)
	mac.Write([]byte("csrf\x00x"))
	if s1.csrf("x") != base64.RawURLEncoding.EncodeToString(mac.Sum(nil)) {
		t.Error("the CSRF token is not the MAC of the session id")
	}
	os.Chmod(path, 0o644)
	if _, err := OpenSessions(dir, 0, nil); err == nil || !strings.Contains(err.Error(), "chmod 600") {
		t.Errorf("a key file others may read: %v", err)
	}
	other := t.TempDir()
	os.Chmod(path, 0o600)
	if err := os.Symlink(path, filepath.Join(other, SessionKeyFile)); err != nil {
		t.Fatal(err)
	}
	if _, err := OpenSessions(other, 0, nil); err == nil {
		t.Error("a symlinked key file is accepted")
	}
}

// TestSessionCookieOverTLS: over HTTPS the cookie is Secure and
// __Host- prefixed, and only that name is read.
func TestSessionCookieOverTLS(t *testing.T) {
	dir := t.TempDir()
	ca := newCA(t, "ca")
	srvCert, srvKey := ca.issue(t, "server", "", true)
	cfg, err := TLSConfig(writeFile(t, dir, "srv.pem", srvCert), writeFile(t, dir, "srv.key", srvKey), "")
	if err != nil {
		t.Fatal(err)
	}
	ts := newTestServer(t, func(c *Config) { c.TLS = cfg })
	ts.client = tlsClient(t, ca)
	s := ts.signIn(t, "viewer")
	if !s.raw.Secure || s.raw.Name != secureCookieName {
		t.Errorf("over TLS the cookie is %s, secure %v", s.raw.Name, s.raw.Secure)
	}
	ts.as(s, "GET", "/api/v1/session", nil, false).want(t, 200)
	plain := strings.Replace(s.cookie, secureCookieName, cookieName, 1)
	ts.do(request{method: "GET", path: "/api/v1/session", header: map[string]string{"Cookie": plain}}).want(t, 401)
}

// TestRevokedListIsCompacted: expired revocations are dropped when the
// list is read again.
func TestRevokedListIsCompacted(t *testing.T) {
	var now atomic.Int64
	now.Store(time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC).Unix())
	clock := func() time.Time { return time.Unix(now.Load(), 0) }
	dir := t.TempDir()
	s, _ := OpenSessions(dir, time.Hour, clock)
	for i := range 3 {
		_, sess, _ := s.issue(&apiKey{name: "ci", roles: []string{"viewer"}})
		if err := s.revoke(context.Background(), sess); err != nil {
			t.Fatal(err)
		}
		if i == 1 {
			now.Add(3600 - 60) // the first two expire before the third
		}
	}
	now.Add(120)
	s2, err := OpenSessions(dir, time.Hour, clock)
	if err != nil {
		t.Fatal(err)
	}
	data, _ := os.ReadFile(filepath.Join(dir, RevokedFile))
	if len(s2.revoked) != 1 || strings.Count(string(data), "\n") != 1 {
		t.Errorf("after compaction: %d revoked, file:\n%s", len(s2.revoked), data)
	}
	fi, _ := os.Stat(filepath.Join(dir, RevokedFile))
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("the revocation list has mode %v", fi.Mode())
	}
}

// TestSessionCookieBehindATLSProxy: with SecureCookie (--secure-cookie)
// a server on plain HTTP behind a TLS proxy sets the Secure __Host-
// cookie, reads only that name, and takes a session's state-changing
// requests only from an https page of its host. Over TLS an http page of
// the same host is refused too.
func TestSessionCookieBehindATLSProxy(t *testing.T) {
	ts := newTestServer(t, func(c *Config) { c.SecureCookie = true })
	s := ts.signIn(t, "operator")
	if !s.raw.Secure || s.raw.Name != secureCookieName {
		t.Errorf("behind a TLS proxy the cookie is %s, secure %v; want %s, secure", s.raw.Name, s.raw.Secure, secureCookieName)
	}
	plain := strings.Replace(s.cookie, secureCookieName, cookieName, 1)
	ts.do(request{method: "GET", path: "/api/v1/session", header: map[string]string{"Cookie": plain}}).want(t, 401)
	host := strings.TrimPrefix(ts.url, "http://")
	exec := func(origin string) *resp {
		return ts.do(request{method: "POST", path: "/api/v1/operations/control.noop/execute", body: map[string]any{},
			header: map[string]string{"Cookie": s.cookie, CSRFHeader: s.csrf, "Origin": origin}})
	}
	e := exec("http://"+host).wantError(t, 403, ClassAuthorization)
	if msg := e["message"].(string); !strings.Contains(msg, "not of this server over HTTPS") || !strings.Contains(msg, "https://"+host) {
		t.Errorf("a page of http://%s: %v", host, e)
	}
	exec("https://"+host).want(t, 200)

	// Without the flag and without TLS, as before: a plain cookie, and a
	// page of the host over http may send requests.
	plainTS := newTestServer(t)
	p := plainTS.signIn(t, "operator")
	if p.raw.Secure || p.raw.Name != cookieName {
		t.Errorf("on plain HTTP without the flag the cookie is %s, secure %v", p.raw.Name, p.raw.Secure)
	}
	plainTS.do(request{method: "POST", path: "/api/v1/operations/control.noop/execute", body: map[string]any{},
		header: map[string]string{"Cookie": p.cookie, CSRFHeader: p.csrf, "Origin": plainTS.url}}).want(t, 200)

	dir := t.TempDir()
	ca := newCA(t, "ca")
	srvCert, srvKey := ca.issue(t, "server", "", true)
	cfg, err := TLSConfig(writeFile(t, dir, "srv.pem", srvCert), writeFile(t, dir, "srv.key", srvKey), "")
	if err != nil {
		t.Fatal(err)
	}
	tlsTS := newTestServer(t, func(c *Config) { c.TLS = cfg })
	tlsTS.client = tlsClient(t, ca)
	q := tlsTS.signIn(t, "operator")
	tlsHost := strings.TrimPrefix(tlsTS.url, "https://")
	tlsTS.do(request{method: "POST", path: "/api/v1/operations/control.noop/execute", body: map[string]any{},
		header: map[string]string{"Cookie": q.cookie, CSRFHeader: q.csrf, "Origin": "http://" + tlsHost}}).wantError(t, 403, ClassAuthorization)
}

// TestSessionStaysEndedWhenItsKeyComesBack: a session ended because its
// key left the keys file, or its roles changed, is still refused once the
// keys file is as it was again (SIGHUP), also by a server started again on
// the state dir, and also when the key went while no server ran; a new
// sign-in works.
func TestSessionStaysEndedWhenItsKeyComesBack(t *testing.T) {
	ts := newTestServer(t)
	orig := ts.srv.current().State
	reload := func(srv *Server, keys *Keys) {
		t.Helper()
		st := orig
		st.Keys = keys
		if err := srv.Reload(st); err != nil {
			t.Fatal(err)
		}
	}
	without := func(name string) *Keys {
		k := *orig.Keys
		k.keys = slices.DeleteFunc(slices.Clone(k.keys), func(a apiKey) bool { return a.name == name })
		k.index()
		return &k
	}
	withRoles := func(name string, roles ...string) *Keys {
		k := *orig.Keys
		k.keys = slices.Clone(k.keys)
		for i := range k.keys {
			if k.keys[i].name == name {
				k.keys[i].roles = roles
			}
		}
		k.index()
		return &k
	}
	wantChanged := func(srv *Server, s consoleSession) {
		t.Helper()
		rec := httptest.NewRecorder()
		req := httptest.NewRequest("GET", "/api/v1/session", nil)
		req.Header.Set("Cookie", s.cookie)
		srv.Handler().ServeHTTP(rec, req)
		if rec.Code != 401 || !strings.Contains(rec.Body.String(), "was removed or changed since this session began; sign in again") {
			t.Errorf("the session after its key came back: %d %s", rec.Code, rec.Body)
		}
	}

	// Removed, then put back.
	s := ts.signIn(t, "operator")
	reload(ts.srv, without("operator"))
	ts.as(s, "GET", "/api/v1/session", nil, false).want(t, 401)
	reload(ts.srv, orig.Keys)
	wantChanged(ts.srv, s)
	ts.as(ts.signIn(t, "operator"), "GET", "/api/v1/session", nil, false).want(t, 200)

	// Its roles changed, then changed back.
	v := ts.signIn(t, "viewer")
	reload(ts.srv, withRoles("viewer", "admin"))
	reload(ts.srv, orig.Keys)
	wantChanged(ts.srv, v)

	// A server started again on the state dir remembers; and one started
	// without the key, which the last one knew, records that it went.
	a := ts.signIn(t, "admin")
	again := func(keys *Keys) *Server {
		t.Helper()
		sessions, err := OpenSessions(ts.state, 0, nil)
		if err != nil {
			t.Fatal(err)
		}
		srv, err := New(Config{Manager: ts.mgr, State: State{Keys: keys, Policy: orig.Policy, Playbooks: orig.Playbooks}, Sessions: sessions, Log: testLog{t}})
		if err != nil {
			t.Fatal(err)
		}
		return srv
	}
	again(orig.Keys)
	wantChanged(again(orig.Keys), s)
	srv := again(without("admin"))
	reload(srv, orig.Keys)
	wantChanged(srv, a)
	if fi, err := os.Stat(filepath.Join(ts.state, KeyChangesFile)); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("the record of the keys' changes: %v %v", fi, err)
	}

	// Disabled by an expiry in the past, then given its expiry back.
	withExpiry := func(name string, at time.Time) *Keys {
		k := *orig.Keys
		k.keys = slices.Clone(k.keys)
		for i := range k.keys {
			if k.keys[i].name == name {
				k.keys[i].expires = at
			}
		}
		k.index()
		return &k
	}
	// Token times are whole seconds: the change must come in a second
	// after the one the operator's last change was dated to.
	time.Sleep(1100 * time.Millisecond)
	o := ts.signIn(t, "operator")
	time.Sleep(1100 * time.Millisecond)
	reload(ts.srv, withExpiry("operator", time.Now().Add(-time.Hour)))
	reload(ts.srv, orig.Keys)
	wantChanged(ts.srv, o)
}

// TestKeyChangeDatedInTheFuture: a record of a key's change dated ahead of
// the clock (a clock that ran ahead, a state dir from another host) does
// not refuse the sessions signed in from now on.
func TestKeyChangeDatedInTheFuture(t *testing.T) {
	ts := newTestServer(t)
	var b strings.Builder
	for _, k := range ts.srv.current().Keys.keys {
		fmt.Fprintf(&b, "%s %s %d\n", k.name, keyState(&k), time.Now().Add(time.Hour).Unix())
	}
	if err := os.WriteFile(filepath.Join(ts.state, KeyChangesFile), []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	sessions, err := OpenSessions(ts.state, 0, nil)
	if err != nil {
		t.Fatal(err)
	}
	orig := ts.srv.current().State
	srv, err := New(Config{Manager: ts.mgr, State: orig, Sessions: sessions, Log: testLog{t}})
	if err != nil {
		t.Fatal(err)
	}
	rec := httptest.NewRecorder()
	req := httptest.NewRequest("POST", "/api/v1/session", strings.NewReader(`{"key":"`+ts.keys["operator"]+`"}`))
	req.Header.Set("Content-Type", "application/json")
	srv.Handler().ServeHTTP(rec, req)
	if rec.Code != 201 {
		t.Fatalf("sign-in: %d %s", rec.Code, rec.Body)
	}
	time.Sleep(1100 * time.Millisecond) // past the second a change may be dated to
	rec2 := httptest.NewRecorder()
	req = httptest.NewRequest("GET", "/api/v1/session", nil)
	for _, c := range rec.Result().Cookies() {
		req.AddCookie(c)
	}
	srv.Handler().ServeHTTP(rec2, req)
	if rec2.Code != 200 {
		t.Errorf("a session signed in after a change dated ahead of the clock: %d %s", rec2.Code, rec2.Body)
	}
}

// TestSignOutEndsTheSessionOnEveryServeOfTheStateDir: two serve
// processes on one state dir take each other's sessions; a sign-out
// through one ends the session on the other too, without a restart, and
// the other's compaction of the list keeps it.
func TestSignOutEndsTheSessionOnEveryServeOfTheStateDir(t *testing.T) {
	dir := t.TempDir()
	a, err := OpenSessions(dir, time.Hour, nil)
	if err != nil {
		t.Fatal(err)
	}
	b, err := OpenSessions(dir, time.Hour, nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	token, sess, err := a.issue(&apiKey{name: "ci", roles: []string{"viewer"}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := b.check(ctx, token); err != nil {
		t.Fatalf("the other serve refuses a live session: %v", err)
	}
	if err := a.revoke(ctx, sess); err != nil {
		t.Fatal(err)
	}
	if _, err := b.check(ctx, token); !errors.Is(err, errRevokedToken) {
		t.Errorf("the other serve after the sign-out: %v; want %v", err, errRevokedToken)
	}
	b.mu.Lock()
	b.compactLocked()
	b.mu.Unlock()
	c, err := OpenSessions(dir, time.Hour, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.check(ctx, token); !errors.Is(err, errRevokedToken) {
		t.Errorf("a serve started after the other compacted the list: %v; want %v", err, errRevokedToken)
	}
}
