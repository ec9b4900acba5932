package report

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"fmt"
)

// Signing a report encodes it as JSON, and writing it encodes it again:
// for a short run (a scheduled check, an API execute), the two encodings
// cost about as much as its steps. SignEncoded keeps the first, and
// WriteUnsyncedEncoded writes it, so that a report is encoded once.

// SignEncoded signs r as Sign does and returns r encoded as json.Marshal
// encodes it, signature included.
func SignEncoded(r *Report, key []byte) ([]byte, error) {
	r.Signature = ""
	r.KeyID = KeyID(key)
	data, err := json.Marshal(r)
	if err != nil {
		return nil, fmt.Errorf("sign report: %w", err)
	}
	canon, err := canonical(data)
	if err != nil {
		return nil, fmt.Errorf("sign report: %w", err)
	}
	r.Signature = hex.EncodeToString(macBytes(canon, key))
	// The signature goes just before the key id, the last member when
	// nothing was cut (OutputBudget): a report of another shape is
	// encoded again.
	tail := `,"key_id":"` + r.KeyID + `"}`
	if r.OutputBudget != nil || !bytes.HasSuffix(data, []byte(tail)) {
		return json.Marshal(r)
	}
	data = append(data[:len(data)-len(tail)], `,"signature":"`...)
	data = append(data, r.Signature...)
	return append(append(data, '"'), tail...), nil
}

// WriteUnsyncedEncoded writes the report that encoded holds, as
// SignEncoded returns it, to path as WriteUnsynced writes a report: the
// same bytes, the same way.
func WriteUnsyncedEncoded(path string, encoded []byte) error {
	var buf bytes.Buffer
	buf.Grow(2*len(encoded) + 1) // as json.MarshalIndent grows it
	if err := json.Indent(&buf, encoded, "", "  "); err != nil {
		return fmt.Errorf("encode report: %w", err)
	}
	buf.WriteByte('\n')
	return writeFile(path, buf.Bytes(), 0o600, false)
}
