package report

import (
	"bytes"
	"encoding/json"
	"errors"
	"slices"
	"sync"
)

// canonical returns the canonical form a signature covers (see macOf) of
// data, JSON as encoding/json writes it: the same bytes as decoding it
// with UseNumber, dropping its top-level "signature" and encoding it
// again, without building the values. Members are sorted by key, the last
// of equal keys kept; numbers stay as written; a string is written again
// only when a second encoding could differ (see str).
func canonical(data []byte) ([]byte, error) {
	c := canonicalizer{out: make([]byte, 0, len(data))}
	return c.canonical(data)
}

// canonicalMAC returns the MAC under key of data's canonical form, with
// a canonicalizer used again: a process that signs a report for every
// run would otherwise grow its buffers anew for each.
func canonicalMAC(data, key []byte) ([]byte, error) {
	c := canonicalizers.Get().(*canonicalizer)
	c.out, c.scratch = c.out[:0], c.scratch[:0]
	canon, err := c.canonical(data)
	var mac []byte
	if err == nil {
		mac = macBytes(canon, key)
	}
	// Nothing of data stays reachable from the pool.
	c.in = nil
	clear(c.members[:cap(c.members)])
	c.members = c.members[:0]
	if cap(c.out) <= maxKeptCanonical {
		canonicalizers.Put(c)
	}
	return mac, err
}

var canonicalizers = sync.Pool{New: func() any { return new(canonicalizer) }}

// maxKeptCanonical bounds the buffer of a canonicalizer kept for reuse:
// one large report's does not stay in memory.
const maxKeptCanonical = 64 << 10

func (c *canonicalizer) canonical(data []byte) ([]byte, error) {
	c.in, c.i = data, 0
	c.space()
	if c.i >= len(c.in) || c.in[c.i] != '{' {
		return nil, errors.New("not a JSON object")
	}
	if err := c.object(true); err != nil {
		return nil, err
	}
	if c.space(); c.i != len(c.in) {
		return nil, errors.New("data after the report")
	}
	return c.out, nil
}

type canonicalizer struct {
	in  []byte
	i   int
	out []byte
	// members is a stack of the members of the objects being read, the
	// innermost last; scratch holds an object's members while they are
	// written again in order.
	members []member
	scratch []byte
}

var errCanon = errors.New("invalid JSON")

func (c *canonicalizer) space() {
	for c.i < len(c.in) && (c.in[c.i] == ' ' || c.in[c.i] == '\n' || c.in[c.i] == '\t' || c.in[c.i] == '\r') {
		c.i++
	}
}

func (c *canonicalizer) value() error {
	c.space()
	if c.i >= len(c.in) {
		return errCanon
	}
	switch b := c.in[c.i]; {
	case b == '{':
		return c.object(false)
	case b == '[':
		return c.array()
	case b == '"':
		s, err := c.str()
		if err != nil {
			return err
		}
		c.out = append(c.out, s...)
		return nil
	default:
		start := c.i
		for c.i < len(c.in) && !isDelim(c.in[c.i]) {
			c.i++
		}
		lit := c.in[start:c.i] // a number, true, false or null
		if !json.Valid(lit) {
			return errCanon
		}
		c.out = append(c.out, lit...)
		return nil
	}
}

// str reads a string and returns it as encoding/json writes it.
func (c *canonicalizer) str() ([]byte, error) {
	start := c.i
	c.i++ // the opening quote
	// escaped: the string holds what encoding/json may write differently
	// from how it came in (an escape, such as an invalid byte's \ufffd that
	// comes back as the character itself; a character it escapes; anything
	// past ASCII): it is decoded and written again.
	escaped := false
	for c.i < len(c.in) {
		switch b := c.in[c.i]; {
		case b == '\\':
			escaped = true
			c.i += 2
			continue
		case b == '<' || b == '>' || b == '&' || b < 0x20 || b >= 0x80:
			escaped = true
		case b == '"':
			c.i++
			raw := c.in[start:c.i]
			if !escaped {
				return raw, nil
			}
			var s string
			if err := json.Unmarshal(raw, &s); err != nil {
				return nil, err
			}
			return json.Marshal(s)
		}
		c.i++
	}
	return nil, errCanon
}

// member is one member of an object being read: its decoded key and
// where "key":value stands in out, from the object's first member on.
type member struct {
	key        []byte
	start, end int
}

// object writes the object's members as they come, and sorts them only
// if they came unsorted: a map's members come sorted, a struct's do not.
func (c *canonicalizer) object(top bool) error {
	c.i++ // {
	c.out = append(c.out, '{')
	base := len(c.out)
	mbase := len(c.members)
	defer func() { c.members = c.members[:mbase] }()
	sorted, read := true, 0
	for {
		c.space()
		if c.i >= len(c.in) {
			return errCanon
		}
		if c.in[c.i] == '}' && read == 0 {
			c.i++
			break
		}
		if c.in[c.i] != '"' {
			return errCanon
		}
		mark := len(c.out)
		if len(c.out) > base {
			c.out = append(c.out, ',')
		}
		start := len(c.out)
		k, err := c.str()
		if err != nil {
			return err
		}
		key, err := keyOf(k)
		if err != nil {
			return err
		}
		c.out = append(c.out, k...)
		c.space()
		if c.i >= len(c.in) || c.in[c.i] != ':' {
			return errCanon
		}
		c.i++
		c.out = append(c.out, ':')
		if err := c.value(); err != nil {
			return err
		}
		read++
		if top && string(key) == "signature" {
			c.out = c.out[:mark]
		} else {
			if n := len(c.members); n > mbase && bytes.Compare(c.members[n-1].key, key) >= 0 {
				sorted = false
			}
			c.members = append(c.members, member{key, start - base, len(c.out) - base})
		}
		c.space()
		if c.i >= len(c.in) {
			return errCanon
		}
		if c.in[c.i] == ',' {
			c.i++
			continue
		}
		if c.in[c.i] != '}' {
			return errCanon
		}
		c.i++
		break
	}
	if !sorted {
		// A stable sort keeps equal keys in order; the last of them wins.
		members := c.members[mbase:]
		c.scratch = append(c.scratch[:0], c.out[base:]...)
		seg := c.scratch
		c.out = c.out[:base]
		slices.SortStableFunc(members, func(a, b member) int { return bytes.Compare(a.key, b.key) })
		first := true
		for j, m := range members {
			if j+1 < len(members) && bytes.Equal(members[j+1].key, m.key) {
				continue
			}
			if !first {
				c.out = append(c.out, ',')
			}
			first = false
			c.out = append(c.out, seg[m.start:m.end]...)
		}
	}
	c.out = append(c.out, '}')
	return nil
}

// keyOf decodes a member's key, as str wrote it: an unescaped one is
// its bytes between the quotes.
func keyOf(k []byte) ([]byte, error) {
	if bytes.IndexByte(k, '\\') < 0 {
		return k[1 : len(k)-1], nil
	}
	var key string
	err := json.Unmarshal(k, &key)
	return []byte(key), err
}

func isDelim(b byte) bool {
	switch b {
	case ',', ']', '}', ' ', '\n', '\t', '\r':
		return true
	}
	return false
}

func (c *canonicalizer) array() error {
	c.i++ // [
	c.out = append(c.out, '[')
	c.space()
	if c.i < len(c.in) && c.in[c.i] == ']' {
		c.i++
		c.out = append(c.out, ']')
		return nil
	}
	for {
		if err := c.value(); err != nil {
			return err
		}
		c.space()
		if c.i >= len(c.in) {
			return errCanon
		}
		switch c.in[c.i] {
		case ',':
			c.i++
			c.out = append(c.out, ',')
		case ']':
			c.i++
			c.out = append(c.out, ']')
			return nil
		default:
			return errCanon
		}
	}
}
