package server

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/arsenal-run/arsenal-run/internal/keyfile"
	"github.com/arsenal-run/arsenal-run/internal/short"
)

// Sessions of the web console. A user signs in once with an API key
// (POST /api/v1/session); the answer sets a cookie holding a short-lived
// token signed with HS256 by a key of the state dir (or of the shared
// database, for several replicas), carrying the key's
// name and roles, and gives a CSRF token that every state-changing request
// of the session must send in the X-CSRF-Token header. The raw key is
// never stored: a session is only as good as its token, which signing
// out revokes.
const (
	// SessionKeyFile holds the signing key, under the state dir, mode
	// 0600.
	SessionKeyFile = "session.key"
	// RevokedFile lists the revoked sessions until they expire.
	RevokedFile = "sessions.revoked"
	// KeyChangesFile records, per key name, what the keys file last said
	// of the key and when it was last removed or changed, so that a
	// session of it from before then stays ended when the key comes back.
	KeyChangesFile = "sessions.keys"
	// DefaultSessionTTL is how long a session lasts unless --session-ttl
	// says otherwise; a key that expires sooner ends it sooner.
	DefaultSessionTTL = 12 * time.Hour
	// MaxSessionTTL bounds --session-ttl.
	MaxSessionTTL = 30 * 24 * time.Hour
	// CSRFHeader carries the session's CSRF token.
	CSRFHeader = "X-CSRF-Token"

	cookieName       = "arsenal_session"
	secureCookieName = "__Host-arsenal_session" // over TLS: Secure, Path=/, no Domain
	tokenIssuer      = "arsenal-run"
	tokenAudience    = "arsenal-run console"
	sessionKeyLen    = 32
	// compactRevokedAt is how many lines the revocation list may have
	// before a sign-out rewrites it without the sessions that expired
	// since (a revoked session is kept until it would have expired).
	compactRevokedAt = 10_000
	// maxGoneKeys bounds the records of removed keys; past it the oldest
	// are forgotten (their sessions are then refused as the key's
	// absence refuses them, until it comes back).
	maxGoneKeys = 10_000
)

// Sessions issues and checks console sessions. It is safe for concurrent
// use.
type Sessions struct {
	key  []byte
	ttl  time.Duration
	now  func() time.Time
	file string       // the revocation list, with a state dir
	db   SessionStore // the shared revocations, with a database

	keysFile string // the key changes, with a state dir

	mu      sync.Mutex
	revoked map[string]time.Time // token id -> when the token expires
	lines   int                  // lines in the file, for compaction
	// read is the revocation list as last read or written, so that a
	// list another process changed since is read again.
	read fs.FileInfo
	// keys is what is known of each key name (see noteKeys); nil until
	// the first keys file is noted when nothing was recorded before.
	keys map[string]keyRecord
}

// keyRecord is what is known of one key name: the print of its entry in
// the keys file ("" while it is not there), and when it was last removed
// or changed (zero: not within a session's longest life).
type keyRecord struct {
	print string
	since time.Time
}

// OpenSessions reads the session key of stateDir, making it (mode 0600)
// when there is none, and the sessions revoked there that have not expired
// yet. ttl is how long a session lasts (0: DefaultSessionTTL); now tells
// the time (nil: the wall clock).
func OpenSessions(stateDir string, ttl time.Duration, now func() time.Time) (*Sessions, error) {
	ttl, now, err := sessionDefaults(ttl, now)
	if err != nil {
		return nil, err
	}
	// 0700, as history.Open makes a state dir.
	if err := os.MkdirAll(stateDir, 0o700); err != nil {
		return nil, fmt.Errorf("sessions: %w", err)
	}
	key, err := sessionKey(filepath.Join(stateDir, SessionKeyFile))
	if err != nil {
		return nil, err
	}
	s := &Sessions{key: key, ttl: ttl, now: now, file: filepath.Join(stateDir, RevokedFile), revoked: map[string]time.Time{},
		keysFile: filepath.Join(stateDir, KeyChangesFile)}
	if err := s.loadRevoked(); err != nil {
		return nil, err
	}
	if err := s.loadKeys(); err != nil {
		return nil, err
	}
	return s, nil
}

// SessionStore keeps the sessions of several replicas in the database they
// share (the PostgreSQL store): one signing key, and the sessions signed
// out through any of them.
type SessionStore interface {
	// SessionKey returns the signing key, made on first use.
	SessionKey(ctx context.Context) ([]byte, error)
	// RevokeSession records a sign-out until the session would expire.
	RevokeSession(ctx context.Context, id string, expires time.Time) error
	// SessionRevoked reports whether a session was signed out.
	SessionRevoked(ctx context.Context, id string) (bool, error)
}

// OpenSharedSessions is OpenSessions for replicas on one database: the
// key is the database's, and every request with a session cookie asks the
// database whether the session was signed out, so that a sign-out through
// one replica is refused by all of them at once.
func OpenSharedSessions(ctx context.Context, db SessionStore, ttl time.Duration, now func() time.Time) (*Sessions, error) {
	ttl, now, err := sessionDefaults(ttl, now)
	if err != nil {
		return nil, err
	}
	key, err := db.SessionKey(ctx)
	if err != nil {
		return nil, fmt.Errorf("sessions: %w", err)
	}
	if len(key) != sessionKeyLen {
		return nil, fmt.Errorf("sessions: the database's session key has %d bytes, not %d", len(key), sessionKeyLen)
	}
	return &Sessions{key: key, ttl: ttl, now: now, db: db, revoked: map[string]time.Time{}}, nil
}

func sessionDefaults(ttl time.Duration, now func() time.Time) (time.Duration, func() time.Time, error) {
	switch {
	case ttl == 0:
		ttl = DefaultSessionTTL
	case ttl < time.Minute || ttl > MaxSessionTTL:
		return 0, nil, fmt.Errorf("session lifetime %s: give one minute to %s", short.Duration(ttl), short.Duration(MaxSessionTTL))
	}
	if now == nil {
		now = time.Now
	}
	return ttl, now, nil
}

// TTL returns how long a session lasts.
func (s *Sessions) TTL() time.Duration { return s.ttl }

// sessionKey reads the key file, or makes it. A key file others may read
// is refused: anyone who reads it can sign tokens.
func sessionKey(path string) ([]byte, error) {
	return keyfile.Load(path, keyfile.Spec{Name: "session key", Len: sessionKeyLen, Lost: "every session ends"})
}

// sessionClaims are what a session token carries: the key's name as the
// subject, its roles, which key it was (keyPrint), and a random id that
// revocation names.
type sessionClaims struct {
	Roles []string `json:"roles"`
	Key   string   `json:"key"`
	jwt.RegisteredClaims
}

// session is a checked session of a request.
type session struct {
	id      string
	name    string
	roles   []string
	key     string // keyPrint of the key it signed in with
	issued  time.Time
	expires time.Time
}

// keyPrint names a key in a session token without giving its digest
// away: a key replaced under the same name (a leaked one, rotated) has
// another print, so its sessions end with it.
func keyPrint(k *apiKey) string {
	sum := sha256.Sum256(append([]byte("arsenal-run session key\x00"), k.digest[:]...))
	return hex.EncodeToString(sum[:12])
}

// issue signs a token for the key, expiring after the TTL or when the key
// does, whichever comes first.
func (s *Sessions) issue(k *apiKey) (token string, sess session, err error) {
	now := s.now()
	exp := now.Add(s.ttl)
	if !k.expires.IsZero() && k.expires.Before(exp) {
		exp = k.expires
	}
	id := make([]byte, 16)
	if _, err := rand.Read(id); err != nil {
		return "", session{}, err
	}
	// A token tells its time to the second; a key changed within this
	// second has its change recorded at the next one (noteKeys), and a
	// session of the key as it is now is stamped no earlier, so that it
	// is not taken for one from before the change.
	issued := now
	s.mu.Lock()
	if since := s.keys[k.name].since; since.After(issued) {
		issued = since
	}
	s.mu.Unlock()
	claims := sessionClaims{Roles: slices.Clone(k.roles), Key: k.print, RegisteredClaims: jwt.RegisteredClaims{
		Issuer: tokenIssuer, Audience: jwt.ClaimStrings{tokenAudience}, Subject: k.name, ID: hex.EncodeToString(id),
		IssuedAt: jwt.NewNumericDate(issued), NotBefore: jwt.NewNumericDate(now), ExpiresAt: jwt.NewNumericDate(exp),
	}}
	token, err = jwt.NewWithClaims(jwt.SigningMethodHS256, claims).SignedString(s.key)
	if err != nil {
		return "", session{}, err
	}
	return token, session{id: claims.ID, name: k.name, roles: claims.Roles, key: claims.Key, issued: issued.Truncate(time.Second), expires: exp.Truncate(time.Second)}, nil
}

// Why a session token is refused.
var (
	errBadToken     = errors.New("the session is not valid: this server did not sign it (it may be another arsenal-run server's on this host, or from an earlier state dir); sign in again")
	errExpiredToken = errors.New("the session expired; sign in again")
	errRevokedToken = errors.New("the session was signed out; sign in again")
	// errFutureToken: the token says it was issued later than the clock
	// says now: the clock was set back since (or another replica's runs
	// ahead), which is not a token this server did not sign.
	errFutureToken = errors.New("the session was issued later than this server's clock says it is now (the clock was set back since it signed in, or the replicas' clocks differ); sign in again")
	// errUncheckedToken: the shared database could not say whether the
	// session was signed out, so it is not taken on trust.
	errUncheckedToken = errors.New("the session cannot be checked now: the database is unreachable; try again")
)

// check verifies a token: signed by this state dir's key with HS256 only
// (a token cannot choose its algorithm), for the console, not expired and
// not revoked. With a shared database, whether it was revoked is asked
// there, one indexed lookup per request.
func (s *Sessions) check(ctx context.Context, token string) (session, error) {
	var c sessionClaims
	_, err := jwt.ParseWithClaims(token, &c, func(*jwt.Token) (any, error) { return s.key, nil },
		jwt.WithValidMethods([]string{jwt.SigningMethodHS256.Alg()}), jwt.WithIssuer(tokenIssuer), jwt.WithAudience(tokenAudience),
		jwt.WithExpirationRequired(), jwt.WithIssuedAt(), jwt.WithTimeFunc(s.now), jwt.WithLeeway(5*time.Second))
	switch {
	case errors.Is(err, jwt.ErrTokenExpired):
		return session{}, errExpiredToken
	case errors.Is(err, jwt.ErrTokenUsedBeforeIssued) || errors.Is(err, jwt.ErrTokenNotValidYet):
		return session{}, errFutureToken
	case err != nil || c.ID == "" || c.Subject == "":
		return session{}, errBadToken
	}
	s.mu.Lock()
	_, revoked := s.revoked[c.ID]
	if !revoked && s.db == nil {
		// Another serve on the state dir may have signed it out.
		s.rereadRevokedLocked()
		_, revoked = s.revoked[c.ID]
	}
	s.mu.Unlock()
	if !revoked && s.db != nil {
		var err error
		if revoked, err = s.db.SessionRevoked(ctx, c.ID); err != nil {
			return session{}, fmt.Errorf("%w (%v)", errUncheckedToken, err)
		}
	}
	if revoked {
		return session{}, errRevokedToken
	}
	sess := session{id: c.ID, name: c.Subject, roles: c.Roles, key: c.Key, expires: c.ExpiresAt.Time}
	if c.IssuedAt != nil {
		sess.issued = c.IssuedAt.Time
	}
	return sess, nil
}

// csrf is the session's CSRF token: a MAC of its id, so it is bound to
// the session and needs no storage.
func (s *Sessions) csrf(id string) string {
	m := hmac.New(sha256.New, s.key)
	m.Write([]byte("csrf\x00" + id))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// checkCSRF compares a sent token with the session's in constant time.
func (s *Sessions) checkCSRF(id, sent string) bool {
	want := s.csrf(id)
	return sent != "" && subtle.ConstantTimeCompare([]byte(want), []byte(sent)) == 1
}

// revoke ends a session for good: it is written to the revocation list
// (synced), or to the shared database, before it is refused, so that a
// restart does not bring it back.
func (s *Sessions) revoke(ctx context.Context, sess session) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.revoked[sess.id]; ok {
		return nil
	}
	if s.db != nil {
		if err := s.db.RevokeSession(ctx, sess.id, sess.expires); err != nil {
			return fmt.Errorf("sessions: %w", err)
		}
		s.revoked[sess.id] = sess.expires
		s.dropExpiredLocked()
		return nil
	}
	if s.lines >= compactRevokedAt {
		s.compactLocked()
	}
	f, err := os.OpenFile(s.file, os.O_WRONLY|os.O_APPEND|os.O_CREATE|noFollow, 0o600)
	if err != nil {
		return fmt.Errorf("sessions: %w", err)
	}
	_, werr := fmt.Fprintf(f, "%s %d\n", sess.id, sess.expires.Unix())
	serr := f.Sync()
	cerr := f.Close()
	if err := errors.Join(werr, serr, cerr); err != nil {
		return fmt.Errorf("sessions: record the sign-out: %w", err)
	}
	s.revoked[sess.id] = sess.expires
	s.lines++
	return nil
}

// dropExpiredLocked forgets the revoked sessions that expired since, with
// a shared database, where they are kept; s.mu is held.
func (s *Sessions) dropExpiredLocked() {
	if len(s.revoked) < compactRevokedAt {
		return
	}
	now := s.now()
	for id, exp := range s.revoked {
		if !exp.After(now) {
			delete(s.revoked, id)
		}
	}
}
