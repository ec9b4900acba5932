package report

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"sync"
)

// Signing a report encodes it as JSON, and writing it encodes it again:
// for a short run (a scheduled check, an API execute), the two encodings
// cost about as much as its steps. SignEncoded keeps the first, and
// WriteUnsyncedEncoded writes it, so that a report is encoded once.

// SignEncoded signs r as Sign does and returns r encoded as json.Marshal
// encodes it, signature included. The report is encoded into a buffer
// kept for the next one and copied out once, signature in place: the
// copy json.Marshal makes, its growth for the signature and the text of
// the key id's member cost a report three allocations and its size twice.
func SignEncoded(r *Report, key []byte) ([]byte, error) {
	r.Signature = ""
	r.KeyID = KeyID(key)
	e := encoders.Get().(*encoder)
	defer e.put()
	e.buf.Reset()
	if err := e.enc.Encode(r); err != nil {
		return nil, fmt.Errorf("sign report: %w", err)
	}
	data := bytes.TrimSuffix(e.buf.Bytes(), []byte{'\n'}) // Encode ends a value with one
	mac, err := canonicalMAC(data, key)
	if err != nil {
		return nil, fmt.Errorf("sign report: %w", err)
	}
	r.Signature = hex.EncodeToString(mac)
	// The signature goes just before the key id, the last member when
	// nothing was cut (OutputBudget): a report of another shape is
	// encoded again.
	head, ok := cutKeyID(data, r.KeyID)
	if r.OutputBudget != nil || !ok {
		return json.Marshal(r)
	}
	out := make([]byte, 0, len(data)+len(`,"signature":""`)+len(r.Signature))
	out = append(out, head...)
	out = append(out, `,"signature":"`...)
	out = append(out, r.Signature...)
	return append(append(out, '"'), data[len(head):]...), nil
}

// cutKeyID returns data, a report encoded with key id id, up to its
// "key_id" member, when that is its last.
func cutKeyID(data []byte, id string) ([]byte, bool) {
	const member, end = `,"key_id":"`, `"}`
	rest, ok := bytes.CutSuffix(data, []byte(end))
	if !ok {
		return nil, false
	}
	if rest, ok = bytes.CutSuffix(rest, []byte(id)); !ok {
		return nil, false
	}
	return bytes.CutSuffix(rest, []byte(member))
}

// An encoder encodes reports into a buffer kept for the next report.
type encoder struct {
	buf bytes.Buffer
	enc *json.Encoder
}

var encoders = sync.Pool{New: func() any {
	e := new(encoder)
	e.enc = json.NewEncoder(&e.buf)
	return e
}}

// put keeps e for another report, unless its buffer grew past
// maxKeptReportBuf: one large report's does not stay in memory.
func (e *encoder) put() {
	if e.buf.Cap() <= maxKeptReportBuf {
		encoders.Put(e)
	}
}

// indented holds buffers a report is indented into before it is written.
var indented = sync.Pool{New: func() any { return new([]byte) }}

// maxKeptReportBuf bounds a buffer kept for the next report.
const maxKeptReportBuf = 64 << 10

// WriteUnsyncedEncoded writes the report that encoded holds, as
// SignEncoded returns it, to path as WriteUnsynced writes a report: the
// same bytes, the same way, indented into a buffer kept for the next.
func WriteUnsyncedEncoded(path string, encoded []byte) error {
	kept := indented.Get().(*[]byte)
	out, ok := appendIndented((*kept)[:0], encoded)
	if !ok {
		var buf bytes.Buffer
		if err := json.Indent(&buf, encoded, "", "  "); err != nil {
			return fmt.Errorf("encode report: %w", err)
		}
		return writeFile(path, append(buf.Bytes(), '\n'), 0o600, false)
	}
	out = append(out, '\n')
	err := writeFile(path, out, 0o600, false)
	if cap(out) <= maxKeptReportBuf {
		*kept = out[:0]
		indented.Put(kept)
	}
	return err
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
