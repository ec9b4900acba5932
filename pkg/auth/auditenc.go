package auth

import (
	"encoding/json"
	"strconv"
	"sync"
	"time"

	"github.com/arsenal-run/arsenal-run/pkg/report"
)

// Every executed step writes an audit line, so on a busy server the
// line's encoding is a share of each execute worth keeping small:
// encoding/json walks the struct by reflection and allocates the result.
// appendLine writes the same bytes by hand into a reused buffer, and
// hands anything it does not write exactly as encoding/json does (a
// string to escape, a time outside RFC 3339, the params) to
// encoding/json.

// appendLine appends l encoded as json.Marshal encodes it, and false when
// it could not (json.Marshal then says why).
func appendLine(b []byte, l *AuditLine) ([]byte, bool) {
	t, ok := appendTime(append(b, `{"time":`...), l.Time)
	if !ok {
		return b, false
	}
	b = appendStr(append(t, `,"run_id":`...), l.RunID)
	b = appendStr(append(b, `,"playbook":`...), l.Playbook)
	b = appendStr(append(b, `,"sha256":`...), l.SHA256)
	b = append(b, `,"roles":`...)
	if l.Roles == nil {
		b = append(b, "null"...)
	} else {
		b = append(b, '[')
		for i, r := range l.Roles {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendStr(b, r)
		}
		b = append(b, ']')
	}
	b = appendStr(append(b, `,"step":`...), l.Step)
	if l.Item != nil {
		b = strconv.AppendInt(append(b, `,"item":`...), int64(*l.Item), 10)
	}
	b = appendStr(append(b, `,"op":`...), l.Op)
	if l.Params != nil {
		b = append(b, `,"params":`...)
		if m, isMap := l.Params.(map[string]any); isMap && m != nil && len(m) == 0 {
			b = append(b, "{}"...)
		} else {
			p, err := json.Marshal(l.Params)
			if err != nil {
				return b, false
			}
			b = append(b, p...)
		}
	}
	b = appendStr(append(b, `,"outcome":`...), l.Outcome)
	if e := l.Error; e != nil {
		b = appendStr(append(b, `,"error":{"class":`...), e.Class)
		b = append(appendStr(append(b, `,"message":`...), e.Message), '}')
	}
	b = strconv.AppendInt(append(b, `,"duration_ms":`...), l.DurationMS, 10)
	if d := l.Decision; d != nil {
		b = appendDecision(append(b, `,"decision":`...), d)
	}
	b = appendOpt(b, `,"who":`, l.Who)
	b = appendOpt(b, `,"from":`, l.From)
	b = appendOpt(b, `,"action":`, l.Action)
	b = appendOpt(b, `,"parent_run_id":`, l.ParentRunID)
	b = appendOpt(b, `,"parent_step":`, l.ParentStep)
	b = appendOpt(b, `,"question":`, l.Question)
	b = appendOpt(b, `,"answer":`, l.Answer)
	b = appendOpt(b, `,"answered_by":`, l.AnsweredBy)
	return append(b, '}'), true
}

func appendDecision(b []byte, d *report.Decision) []byte {
	b = strconv.AppendBool(append(b, `{"allowed":`...), d.Allowed)
	b = appendStr(append(b, `,"rule":`...), d.Rule)
	b = appendOpt(b, `,"via":`, d.Via)
	if d.DeniedWhenRun {
		b = append(b, `,"denied_when_run":true`...)
	}
	b = appendOpt(b, `,"refusal":`, d.Refusal)
	return append(b, '}')
}

// appendOpt appends an omitempty string member: key, then s, unless s is
// empty.
func appendOpt(b []byte, key, s string) []byte {
	if s == "" {
		return b
	}
	return appendStr(append(b, key...), s)
}

// appendStr appends s as a JSON string, as encoding/json writes it: a
// string of printable ASCII that encoding/json leaves as it is is copied;
// any other goes through encoding/json, which escapes it.
func appendStr(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c >= 0x80 || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' {
			q, _ := json.Marshal(s) // a string always encodes
			return append(b, q...)
		}
	}
	b = append(b, '"')
	b = append(b, s...)
	return append(b, '"')
}

// appendTime appends t as time.Time's MarshalJSON writes it, and false
// for a time it refuses or that this does not write alike: a year outside
// 0–9999 or an offset of a day or more.
func appendTime(b []byte, t time.Time) ([]byte, bool) {
	if y := t.Year(); y < 0 || y > 9999 {
		return b, false
	}
	if _, off := t.Zone(); off <= -24*60*60 || off >= 24*60*60 {
		return b, false
	}
	b = append(b, '"')
	b = t.AppendFormat(b, time.RFC3339Nano)
	return append(b, '"'), true
}

// lineBufs holds buffers for encoding lines, so that a line costs no
// allocation of its own.
var lineBufs = sync.Pool{New: func() any { return new([]byte) }}

// encodeLine returns l encoded as json.Marshal encodes it, with a newline,
// in a buffer from lineBufs that the caller puts back once it has copied
// the line.
func encodeLine(l *AuditLine) (*[]byte, error) {
	buf := lineBufs.Get().(*[]byte)
	b, ok := appendLine((*buf)[:0], l)
	if !ok {
		var err error
		if b, err = json.Marshal(l); err != nil {
			lineBufs.Put(buf)
			return nil, err
		}
	}
	*buf = append(b, '\n')
	return buf, nil
}

// putLine returns a buffer of encodeLine, unless it grew large (a line
// with big params), so that the pool keeps only small ones.
func putLine(buf *[]byte) {
	if cap(*buf) <= 16<<10 {
		lineBufs.Put(buf)
	}
}
