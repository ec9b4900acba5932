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
	mac, err := canonicalMAC(data, key)
	if err != nil {
		return nil, fmt.Errorf("sign report: %w", err)
	}
	r.Signature = hex.EncodeToString(mac)
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
	out, ok := appendIndented(make([]byte, 0, 2*len(encoded)+1), encoded) // as json.MarshalIndent grows it
	if !ok {
		var buf bytes.Buffer
		if err := json.Indent(&buf, encoded, "", "  "); err != nil {
			return fmt.Errorf("encode report: %w", err)
		}
		out = buf.Bytes()
	}
	return writeFile(path, append(out, '\n'), 0o600, false)
}

// appendIndented appends src, compact JSON as json.Marshal writes it, to
// dst indented as json.Indent(dst, src, "", "  ") indents it: the same
// bytes, without the validating scanner json.Indent steps through for
// each byte, which cost a short run's report about as much as encoding
// it. It answers false when src is not compact JSON it can follow (a
// bracket left open or closed twice, a string left open): the caller
// then indents with json.Indent, which says what is wrong.
func appendIndented(dst, src []byte) ([]byte, bool) {
	depth := 0
	for i := 0; i < len(src); i++ {
		switch c := src[i]; c {
		case '"':
			// A string goes as it is, up to its closing quote; an
			// escaped byte cannot close it.
			j := i + 1
			for j < len(src) && src[j] != '"' {
				if src[j] == '\\' {
					j++
				}
				j++
			}
			if j >= len(src) {
				return dst, false
			}
			dst = append(dst, src[i:j+1]...)
			i = j
		case '{', '[':
			dst = append(dst, c)
			if i+1 < len(src) && (src[i+1] == '}' || src[i+1] == ']') {
				// json.Indent leaves an empty object or array as it is.
				dst = append(dst, src[i+1])
				i++
				continue
			}
			depth++
			dst = indentLine(dst, depth)
		case '}', ']':
			if depth--; depth < 0 {
				return dst, false
			}
			dst = append(indentLine(dst, depth), c)
		case ',':
			dst = indentLine(append(dst, c), depth)
		case ':':
			dst = append(dst, c, ' ')
		case ' ', '\t', '\n', '\r':
			return dst, false // not compact
		default:
			dst = append(dst, c)
		}
	}
	return dst, depth == 0
}

// indentLine starts a new line at depth, two spaces a level.
func indentLine(dst []byte, depth int) []byte {
	dst = append(dst, '\n')
	for range depth {
		dst = append(dst, ' ', ' ')
	}
	return dst
}
