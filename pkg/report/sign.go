package report

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"

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
	ErrBadSignature = errors.New("the report's signature does not match: it was changed after arsenal-run wrote it, or another state dir's key signed it")
)

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
	if err := os.MkdirAll(stateDir, 0o755); err != nil {
		return nil, fmt.Errorf("report key: %w", err)
	}
	return keyfile.Load(path, keySpec)
}

var keySpec = keyfile.Spec{Name: "report key", Len: keyLen, Lost: "reports signed with it no longer verify"}

// Sign sets r.Signature to the HMAC-SHA256, keyed by key, of the report's
// canonical JSON without the signature. Write stores it with the report.
func Sign(r *Report, key []byte) error {
	r.Signature = ""
	data, err := json.Marshal(r)
	if err != nil {
		return fmt.Errorf("sign report: %w", err)
	}
	canon, err := canonical(data)
	if err != nil {
		return fmt.Errorf("sign report: %w", err)
	}
	r.Signature = hex.EncodeToString(macBytes(canon, key))
	return nil
}

// Verify checks a JSON report, as Write stored it, against key. When the
// signature holds it returns the report decoded from exactly the content
// that was signed; otherwise an error that wraps ErrUnsigned or
// ErrBadSignature, or says why the data is not a report.
func Verify(data, key []byte) (*Report, error) {
	m, err := decodeObject(data)
	if err != nil {
		return nil, fmt.Errorf("not a report: %w", err)
	}
	sig, _ := m["signature"].(string)
	if sig == "" {
		return nil, ErrUnsigned
	}
	got, err := hex.DecodeString(sig)
	if err != nil {
		return nil, ErrBadSignature
	}
	want, canon, err := macOf(m, key)
	if err != nil {
		return nil, fmt.Errorf("not a report: %w", err)
	}
	if !hmac.Equal(got, want) {
		return nil, ErrBadSignature
	}
	r, err := Decode(canon)
	if err != nil {
		return nil, err
	}
	r.Signature = sig
	return r, nil
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
	h := hmac.New(sha256.New, key)
	h.Write([]byte(macContext))
	h.Write(canon)
	return h.Sum(nil)
}
