package server

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base32"
	"encoding/hex"
	"fmt"
	"io"
	"regexp"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/arsenal-run/arsenal-run/internal/fsroot"
	"github.com/arsenal-run/arsenal-run/internal/fsx"
	"github.com/arsenal-run/arsenal-run/internal/suggest"
	"github.com/arsenal-run/arsenal-run/internal/yamlx"
	"github.com/arsenal-run/arsenal-run/pkg/auth"
	"github.com/arsenal-run/arsenal-run/pkg/scheduler"
)

// Limits of a keys file.
const (
	MaxKeysFileSize = 1 << 20
	MaxKeys         = 10_000
)

// KeyPrefix starts every API key, so that a leaked key is recognisable
// (secret scanners, logs).
const KeyPrefix = "ak_"

// keyBytes is the randomness of a key: 192 bits.
const keyBytes = 24

var keysLimits = yamlx.Limits{
	MaxFileSize: MaxKeysFileSize, MaxDepth: 8, MaxAliasNodes: 100, MaxNodes: 200_000,
	SplitHint: "a keys file this large is unlikely to be right: check that the path names the keys file", EmptyHint: "a keys file needs version and keys",
}

var (
	keyNameRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.@-]{0,63}$`)
	hexRE     = regexp.MustCompile(`^[0-9a-fA-F]{64}$`)
	keyFields = []string{"name", "sha256", "roles", "expires"}
	certKeys  = []string{"subject", "roles"}
)

// Keys are the API keys and client certificate subjects a server accepts,
// each with its roles. Only the SHA-256 digests of keys are held. Keys is
// immutable once loaded and safe for concurrent use.
type Keys struct {
	File  string
	keys  []apiKey
	certs []certRule
	// byDigest and byName find an entry of keys (index).
	byDigest map[[sha256.Size]byte]int32
	byName   map[string]int32
}

type apiKey struct {
	name    string
	digest  [sha256.Size]byte
	roles   []string
	expires time.Time // zero: never
	pos     yamlx.Pos
	rolePos []yamlx.Pos
	print   string    // keyPrint, made once
	caller  Principal // who a request with the key is; read only
}

type certRule struct {
	subject string
	roles   []string
	rolePos []yamlx.Pos
}

// Principal is an authenticated caller: a key or a certificate subject,
// and the roles it maps to.
type Principal struct {
	Name  string
	Roles []string
	// Via says how the caller proved who it is: "key", "certificate", or
	// "session" (the console's cookie, signed in with a key).
	Via string
	// session is the console session of a request that came with its
	// cookie.
	session *session
	// print is the keyPrint of the key the caller proved itself with
	// (directly, or to sign in the session): a key replaced under the
	// same name is another caller. "" for a certificate.
	print string
}

// Len returns the number of keys and certificate rules.
func (k *Keys) Len() (keys, certs int) { return len(k.keys), len(k.certs) }

// KeyExpiry is a key of the file with its end.
type KeyExpiry struct {
	Name    string
	Expires time.Time
}

// Expiring returns the keys that have expired at now, and those that
// expire within d of it, each in the file's order.
func (k *Keys) Expiring(now time.Time, d time.Duration) (expired, soon []KeyExpiry) {
	for i := range k.keys {
		key := &k.keys[i]
		switch {
		case key.expires.IsZero():
		case !now.Before(key.expires):
			expired = append(expired, KeyExpiry{key.name, key.expires})
		case key.expires.Sub(now) <= d:
			soon = append(soon, KeyExpiry{key.name, key.expires})
		}
	}
	return expired, soon
}

// callers returns the names callers of this file go by: its key names
// and certificate subjects.
func (k *Keys) callers() map[string]bool {
	out := make(map[string]bool, len(k.keys)+len(k.certs))
	for i := range k.keys {
		out[k.keys[i].name] = true
	}
	for i := range k.certs {
		out[k.certs[i].subject] = true
	}
	return out
}

// LoadKeys reads a keys file. Every problem is reported at once with its
// position, as yamlx.Diagnostics. Roles are checked against a policy with
// CheckRoles.
func LoadKeys(path string) (*Keys, error) {
	// Opening a FIFO for reading blocks until a writer comes, and serve
	// reads this file at start-up and on SIGHUP, in the loop that also
	// takes SIGTERM: fsx.Open never blocks and refuses what is not a
	// regular file, as the policy's loader does.
	f, err := fsx.Open(path)
	// A file that does not open, or is not to be trusted, has no line:
	// the diagnostic names the file alone (Pos zero).
	if err != nil {
		return nil, yamlx.Diagnostics{{File: path, Msg: fsx.Unreadable("the keys file", path, err)}}
	}
	defer f.Close()
	if msg := fsx.AnyoneMayWrite(f, path, "the keys file", "add a key with any role"); msg != "" {
		return nil, yamlx.Diagnostics{{File: path, Msg: msg}}
	}
	if err := yamlx.Oversize(f, path, keysLimits); err != nil {
		return nil, err
	}
	data, err := io.ReadAll(io.LimitReader(f, MaxKeysFileSize+1))
	if err != nil {
		return nil, yamlx.Diagnostics{{File: path, Msg: fsx.Unreadable("the keys file", path, err)}}
	}
	// A step may not read the key digests nor add a key of its own.
	fsroot.Protect(path, "keys file")
	return ParseKeys(path, data)
}

// ParseKeys reads a keys file held in memory; file names it in
// diagnostics.
func ParseKeys(file string, data []byte) (*Keys, error) {
	d := &yamlx.Diags{File: file}
	root := yamlx.Parse(data, keysLimits, d)
	if root == nil {
		return nil, misfiled(file, data, d.Err())
	}
	k := &Keys{File: file}
	// Where each key name and certificate subject is, including those of
	// entries with other problems, so that a clash is reported with them.
	names, subjects := map[string]yamlx.Pos{}, map[string]yamlx.Pos{}
	versionSeen := false
	yamlx.Fields(root, "the keys file", []string{"version", "keys", "certs"}, d, func(key string, _, v *yaml.Node) {
		switch key {
		case "version":
			versionSeen = true
			if n, ok := yamlx.Int(v, "version", 0, 1<<20, d); ok && n != 1 {
				d.Add(yamlx.PosOf(v), "unknown keys file version %d; this arsenal-run reads version 1", n)
			}
		case "keys":
			k.readKeys(v, d, names)
		case "certs":
			k.readCerts(v, d, subjects)
		}
	})
	if !versionSeen {
		d.Add(yamlx.PosOf(root), "missing version; add `version: 1` at the top")
	}
	callerClashes(names, subjects, d)
	if err := d.Err(); err != nil {
		return nil, misfiled(file, data, err)
	}
	k.index()
	return k, nil
}

// misfiled is err, the problems of reading data as a keys file, unless
// data is another of arsenal-run's files (a policy given as --keys): then
// the one problem that says so, and which flag takes it.
func misfiled(file string, data []byte, err error) error {
	if ds, ok := yamlx.Misfiled(file, data, yamlx.KindKeys); ok {
		return ds
	}
	return err
}

func list(n *yaml.Node, what string, d *yamlx.Diags) []*yaml.Node {
	n = yamlx.Deref(n)
	if yamlx.IsNull(n) {
		return nil
	}
	if n.Kind != yaml.SequenceNode {
		d.Add(yamlx.PosOf(n), "%s must be a list, not %s", what, yamlx.KindName(n))
		return nil
	}
	return n.Content
}

// readKeys reads the keys: list; names gets where each key name is.
func (k *Keys) readKeys(n *yaml.Node, d *yamlx.Diags, names map[string]yamlx.Pos) {
	items := list(n, "keys", d)
	if len(items) > MaxKeys {
		d.Add(yamlx.PosOf(n), "%d keys, over the limit of %d", len(items), MaxKeys)
		return
	}
	digests := map[[sha256.Size]byte]string{}
	for i, item := range items {
		key := apiKey{pos: yamlx.PosOf(yamlx.Deref(item))}
		hasDigest := false
		given := map[string]bool{}
		// A key repeated through an alias (- *ops) is named by it.
		restore := d.Within(item, func() string { return fmt.Sprintf("item %d of keys", i+1) })
		yamlx.Fields(item, "a key", keyFields, d, func(field string, _, v *yaml.Node) {
			given[field] = true
			switch field {
			case "name":
				if s, ok := yamlx.Str(v, "name", d); ok {
					if msg := CheckKeyName(s); msg != "" {
						d.Add(yamlx.PosOf(v), "%s", msg)
					}
					if first, dup := names[s]; dup {
						d.Add(yamlx.PosOf(v), "key name %q is used twice (first at line %d, column %d); rename one: runs, rate limits and the audit log go by the name, so the two keys would be one caller", s, first.Line, first.Col)
					} else {
						names[s] = yamlx.PosOf(v)
					}
					key.name = s
				}
			case "sha256":
				if s, ok := yamlx.Str(v, "sha256", d); ok {
					if !hexRE.MatchString(s) {
						d.Add(yamlx.PosOf(v), "sha256 must be the 64 hex digits of the key's SHA-256 (printf %%s \"$KEY\" | sha256sum); 'arsenal-run keys new' prints it")
						return
					}
					b, _ := hex.DecodeString(strings.ToLower(s))
					copy(key.digest[:], b)
					hasDigest = true
					if other, dup := digests[key.digest]; dup {
						d.Add(yamlx.PosOf(v), "this sha256 is also the key %q's; each key must be its own", other)
					}
				}
			case "roles":
				key.roles, key.rolePos = roles(v, d)
			case "expires":
				key.expires = expiry(v, d)
			}
		})
		restore()
		if !given["name"] || !given["sha256"] || !given["roles"] || (given["roles"] && len(key.roles) == 0 && len(key.rolePos) == 0) {
			d.Add(key.pos, "a key needs name, sha256 and roles (a list of at least one role)")
			continue
		}
		if key.name == "" || !hasDigest || len(key.roles) == 0 {
			continue // reported where it is wrong
		}
		digests[key.digest] = key.name
		k.keys = append(k.keys, key)
	}
}

// readCerts reads the certs: list; seen gets where each subject is.
func (k *Keys) readCerts(n *yaml.Node, d *yamlx.Diags, seen map[string]yamlx.Pos) {
	items := list(n, "certs", d)
	if len(items) > MaxKeys {
		d.Add(yamlx.PosOf(n), "%d certs, over the limit of %d", len(items), MaxKeys)
		return
	}
	for i, item := range items {
		var c certRule
		pos := yamlx.PosOf(yamlx.Deref(item))
		given := map[string]bool{}
		restore := d.Within(item, func() string { return fmt.Sprintf("item %d of certs", i+1) })
		yamlx.Fields(item, "a cert", certKeys, d, func(field string, _, v *yaml.Node) {
			given[field] = true
			switch field {
			case "subject":
				if s, ok := yamlx.Str(v, "subject", d); ok {
					if s == "" {
						d.Add(yamlx.PosOf(v), "subject is empty; give the certificate's SAN URI (spiffe://…), or its SAN DNS name or CN")
					}
					if msg := reserved("certificate subject", s); msg != "" {
						d.Add(yamlx.PosOf(v), "%s", msg)
					}
					if first, dup := seen[s]; dup {
						d.Add(yamlx.PosOf(v), "subject %q is listed twice (first at line %d, column %d); remove one, and give the other every role it needs", s, first.Line, first.Col)
					} else if s != "" {
						seen[s] = yamlx.PosOf(v)
					}
					c.subject = s
				}
			case "roles":
				c.roles, c.rolePos = roles(v, d)
			}
		})
		restore()
		if !given["subject"] || !given["roles"] || len(c.rolePos) == 0 && len(c.roles) == 0 && given["roles"] {
			d.Add(pos, "a cert needs subject (a SAN URI such as spiffe://…, or a SAN DNS name or CN) and roles (a list of at least one role)")
			continue
		}
		if c.subject == "" || len(c.roles) == 0 {
			continue // reported where it is wrong
		}
		k.certs = append(k.certs, c)
	}
}

// callerClashes reports each certificate subject that is also a key's
// name, at whichever of the two comes later in the file. The name is who
// the caller is: a run is cancelled and its confirm: questions answered by
// whoever started it, the rate.per_key bucket and the audit log's who go
// by it, so a certificate holder named like a key would act as that key
// on those, whatever the two entries' roles.
func callerClashes(names, subjects map[string]yamlx.Pos, d *yamlx.Diags) {
	for s, sp := range subjects {
		kp, clash := names[s]
		if !clash {
			continue
		}
		if before(kp, sp) {
			d.Add(sp, "certificate subject %q is also the name of the key at line %d, column %d; rename the key (the subject is the certificate's own): runs, rate limits and the audit log go by the name, so the two would be one caller", s, kp.Line, kp.Col)
		} else {
			d.Add(kp, "key name %q is also the certificate subject at line %d, column %d; rename the key: runs, rate limits and the audit log go by the name, so the two would be one caller", s, sp.Line, sp.Col)
		}
	}
}

// before reports whether a comes before b in the file.
func before(a, b yamlx.Pos) bool {
	return a.Line < b.Line || a.Line == b.Line && a.Col < b.Col
}

func roles(v *yaml.Node, d *yamlx.Diags) ([]string, []yamlx.Pos) {
	var out []string
	var pos []yamlx.Pos
	for _, c := range list(v, "roles", d) {
		if s, ok := yamlx.Str(c, "each role", d); ok {
			out = append(out, s)
			pos = append(pos, yamlx.PosOf(yamlx.Deref(c)))
		}
	}
	return out, pos
}

// expiry reads an RFC 3339 time, or a date, which means 00:00 UTC of that
// day.
func expiry(v *yaml.Node, d *yamlx.Diags) time.Time {
	v = yamlx.Deref(v)
	if v.Kind != yaml.ScalarNode || (v.ShortTag() != "!!str" && v.ShortTag() != "!!timestamp") {
		d.Add(yamlx.PosOf(v), "expires must be a time like 2027-06-30T00:00:00Z, not %s", yamlx.KindName(v))
		return time.Time{}
	}
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02"} {
		if t, err := time.Parse(layout, v.Value); err == nil {
			return t
		}
	}
	d.Add(yamlx.PosOf(v), "expires %q: write an RFC 3339 time like 2027-06-30T00:00:00Z or a date like 2027-06-30", v.Value)
	return time.Time{}
}

// CheckRoles reports every role of the keys file that the policy does not
// define, at its position.
func (k *Keys) CheckRoles(p *auth.Policy) error {
	d := &yamlx.Diags{File: k.File}
	known := p.RoleNames()
	check := func(roles []string, pos []yamlx.Pos) {
		for i, r := range roles {
			if _, ok := p.Roles[r]; !ok {
				d.Add(pos[i], "unknown role %q%s; the policy defines %s", r, suggest.DidYouMean(r, known), strings.Join(known, ", "))
			}
		}
	}
	for _, key := range k.keys {
		check(key.roles, key.rolePos)
	}
	for _, c := range k.certs {
		check(c.roles, c.rolePos)
	}
	return d.Err()
}

// NewKey returns a fresh random API key and the hex SHA-256 digest that
// the keys file holds.
func NewKey() (key, digest string, err error) {
	b := make([]byte, keyBytes)
	if _, err := rand.Read(b); err != nil {
		return "", "", err
	}
	key = KeyPrefix + strings.ToLower(base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(b))
	sum := sha256.Sum256([]byte(key))
	return key, hex.EncodeToString(sum[:]), nil
}

// reservedNames are the caller names arsenal-run gives runs it starts
// itself: no key or certificate may be called by one, so that the audit
// log and history never mix a caller with them.
var reservedNames = []string{scheduler.CallerName}

// reserved says why name may not name an API caller, or "".
func reserved(what, name string) string {
	for _, r := range reservedNames {
		if strings.EqualFold(name, r) {
			return fmt.Sprintf("%s %q is reserved: arsenal-run records the runs it starts itself under that name; choose another", what, name)
		}
	}
	return ""
}

// CheckKeyName says what is wrong with a key's name, or "" when nothing is.
func CheckKeyName(name string) string {
	if !keyNameRE.MatchString(name) {
		return fmt.Sprintf("key name %q: use up to 64 letters, digits, _ . @ and -", yamlx.Truncate(name, 40))
	}
	return reserved("key name", name)
}
