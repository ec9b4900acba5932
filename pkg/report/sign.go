package report

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/arsenal-run/arsenal-run/internal/keyfile"
)

// A resumed run reuses the outputs a report records, so a report is also
// an input to later runs. arsenal-run signs the reports it writes with a
// key kept in the state directory (readable by its owner only), and
// trusts a report for a delegated run only when that signature verifies.

// KeyFile is the name of the signing key in a state directory.
const KeyFile = "report.key"

const keyLen = 32

// The reasons a report cannot be verified.
var (
	ErrNoKey        = errors.New("there is no report key")
	ErrUnsigned     = errors.New("the report has no signature")
	ErrBadSignature = errors.New("the report's signature does not match: it was changed after arsenal-run wrote it, or another report key signed it (this state dir's key was replaced since, or the report comes from another state dir)")
	// ErrChanged: the report names this state dir's key as the one that
	// signed it, and its signature does not match: it was changed.
	ErrChanged error = errChanged{}
)

type errChanged struct{}

func (errChanged) Error() string {
	return "the report's signature does not match, though this state dir's key signed it: it was changed after arsenal-run wrote it"
}

func (errChanged) Is(target error) bool { return target == ErrBadSignature }

// OtherKeyError is the error of a report signed with another report key
// than the one it was checked with. It is an ErrBadSignature.
type OtherKeyError struct {
	Signed, Have string // the key ids
}

func (e *OtherKeyError) Error() string {
	return fmt.Sprintf("the report was signed with report key %s, and this state dir's key is %s: "+
		"the state dir's report.key was replaced since the report was written (rotated, or removed and made anew), "+
		"or the report comes from another state dir; it was not necessarily changed", e.Signed, e.Have)
}

// Is makes an OtherKeyError an ErrBadSignature.
func (e *OtherKeyError) Is(target error) bool { return target == ErrBadSignature }

// KeyID returns the id a report records of the key that signed it: 16 hex
// digits derived from the key by HMAC, which tell keys apart without
// telling anything of them.
func KeyID(key []byte) string {
	if m := lastKeyID.Load(); m != nil && subtle.ConstantTimeCompare(m.key, key) == 1 {
		return m.id
	}
	h := hmac.New(sha256.New, key)
	h.Write([]byte("arsenal-run report key id\n"))
	id := hex.EncodeToString(h.Sum(nil)[:8])
	lastKeyID.Store(&keyIDMemo{key: bytes.Clone(key), id: id})
	return id
}

// lastKeyID is the id of the key KeyID was last given: a process signs
// every report with its state dir's one key.
var lastKeyID atomic.Pointer[keyIDMemo]

type keyIDMemo struct {
	key []byte
	id  string
}

// macContext separates this use of the key from any other.
const macContext = "arsenal-run report v1\n"

// Key returns the signing key of a state directory. With create, a missing
// key is made: 32 random bytes, hex-encoded in a file of mode 0600. A key
// file that others may read or write, that another user owns, or that is
// not a regular file is refused: a key others could know signs nothing.
func Key(stateDir string, create bool) ([]byte, error) {
	path := filepath.Join(stateDir, KeyFile)
	if !create {
		key, err := keyfile.Read(path, keySpec)
		if errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("%w in %s", ErrNoKey, stateDir)
		}
		return key, err
	}
	key, _, err := LoadKey(stateDir)
	return key, err
}

// LoadKey is Key with create, and tells whether this call made the key.
func LoadKey(stateDir string) (key []byte, made bool, err error) {
	if err := os.MkdirAll(stateDir, 0o755); err != nil {
		return nil, false, fmt.Errorf("report key: %w", err)
	}
	return keyfile.LoadMade(filepath.Join(stateDir, KeyFile), keySpec)
}

var keySpec = keyfile.Spec{Name: "report key", Len: keyLen, Lost: "reports signed with it no longer verify"}

// Sign sets r.KeyID to key's id, and r.Signature to the HMAC-SHA256, keyed
// by key, of the report's canonical JSON without the signature (its key id
// included). Write stores them with the report.
func Sign(r *Report, key []byte) error {
	r.Signature = ""
	r.KeyID = KeyID(key)
	data, err := json.Marshal(r)
	if err != nil {
		return fmt.Errorf("sign report: %w", err)
	}
	mac, err := canonicalMAC(data, key)
	if err != nil {
		return fmt.Errorf("sign report: %w", err)
	}
	r.Signature = hex.EncodeToString(mac)
	return nil
}

// Verify checks a JSON report, as Write stored it, against key. When the
// signature holds it returns the report decoded from exactly the content
// that was signed; otherwise an error that wraps ErrUnsigned or
// ErrBadSignature, or says why the data is not a report. A signature that
// does not match is told apart by the key id the report records: an
// *OtherKeyError when another key signed it, ErrChanged when this one did.
func Verify(data, key []byte) (*Report, error) {
	m, err := decodeObject(data)
	if err != nil {
		// Decode says where and why, in the file's own lines.
		if _, derr := Decode(data); derr != nil {
			return nil, derr
		}
		return nil, fmt.Errorf("not a report: %w", err)
	}
	sig, _ := m["signature"].(string)
	if sig == "" {
		return nil, ErrUnsigned
	}
	got, err := hex.DecodeString(sig)
	if err != nil {
		return nil, mismatch(m, key)
	}
	want, canon, err := macOf(m, key)
	if err != nil {
		return nil, fmt.Errorf("not a report: %w", err)
	}
	if !hmac.Equal(got, want) {
		return nil, mismatch(m, key)
	}
	r, err := Decode(canon)
	if err != nil {
		return nil, err
	}
	r.Signature = sig
	return r, nil
}

// mismatch says why a report's signature does not match key, as far as
// the key id it records tells: none (a report signed before ids were
// recorded) leaves it open.
func mismatch(m map[string]any, key []byte) error {
	id, _ := m["key_id"].(string)
	switch have := KeyID(key); {
	case !isKeyID(id):
		return ErrBadSignature
	case id == have:
		return ErrChanged
	default:
		return &OtherKeyError{Signed: id, Have: have}
	}
}

// isKeyID reports whether s is a key id as KeyID writes it.
func isKeyID(s string) bool {
	if len(s) != 16 {
		return false
	}
	_, err := hex.DecodeString(s)
	return err == nil && strings.ToLower(s) == s
}

// decodeObject parses one JSON object, keeping numbers as written.
func decodeObject(data []byte) (map[string]any, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var m map[string]any
	if err := dec.Decode(&m); err != nil {
		return nil, err
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errors.New("data after the report")
	}
	if m == nil {
		return nil, errors.New("null is not a report")
	}
	return m, nil
}

// macOf returns the MAC of a report held as a JSON object, and the
// canonical form it covers: the object without its signature, encoded
// with sorted keys and numbers as written. Indentation and key order do
// not change it; any change of data does.
func macOf(m map[string]any, key []byte) ([]byte, []byte, error) {
	delete(m, "signature")
	canon, err := json.Marshal(m)
	if err != nil {
		return nil, nil, err
	}
	return macBytes(canon, key), canon, nil
}

func macBytes(canon, key []byte) []byte {
	p := lastMACs.Load()
	if p == nil || subtle.ConstantTimeCompare(p.key, key) != 1 {
		p = &macPool{key: bytes.Clone(key)}
		lastMACs.Store(p)
	}
	h, _ := p.pool.Get().(hash.Hash)
	if h == nil {
		h = hmac.New(sha256.New, p.key)
	} else {
		h.Reset()
	}
	h.Write(macContextBytes)
	h.Write(canon)
	sum := h.Sum(nil)
	p.pool.Put(h)
	return sum
}

// lastMACs keeps HMACs of the key macBytes was last given, to be used
// again: a process signs every report with its state dir's one key, and
// an HMAC made anew allocates its two hashes and hashes the key into
// both, where one used again starts from the states it kept.
var lastMACs atomic.Pointer[macPool]

type macPool struct {
	key  []byte
	pool sync.Pool // of hash.Hash, HMACs keyed by key
}

var macContextBytes = []byte(macContext)
