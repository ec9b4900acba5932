package cli

import (
	"encoding/json"
	"fmt"
	"strconv"
	"unicode/utf8"

	"github.com/rs/zerolog"

	"github.com/arsenal-run/arsenal-run/internal/termtext"
	"github.com/arsenal-run/arsenal-run/pkg/engine"
)

// jsonLine writes the line of ev as --log-format json writes it, by hand
// for speed: one object a line, controls and bidi overrides escaped.
func (v *logView) jsonLine(ev engine.Event, level zerolog.Level, msg string, fields []field) {
	v.buf = appendJSONLine(v.buf[:0], ev, level, msg, fields)
	v.w.Write(v.buf)
}

// appendJSONLine appends the JSON line of ev, with level, msg and fields,
// to b. The run_id is left out only when ev has none: a line of `run`
// written before its run was started (see runner.notice).
func appendJSONLine(b []byte, ev engine.Event, level zerolog.Level, msg string, fields []field) []byte {
	b = append(b, `{"level":`...)
	b = strconv.AppendQuote(b, level.String())
	b = append(b, `,"time":"`...)
	b = ev.Time.UTC().AppendFormat(b, "2006-01-02T15:04:05.000Z07:00")
	b = append(b, '"')
	if ev.RunID != "" {
		b = append(b, `,"run_id":`...)
		b = appendJSONString(b, ev.RunID)
	}
	if ev.Step != "" {
		b = append(b, `,"step":`...)
		b = appendJSONString(b, ev.Step)
	}
	if ev.Op != "" {
		b = append(b, `,"op":`...)
		b = appendJSONString(b, ev.Op)
	}
	if ev.Kind == engine.EventLog && ev.Index != nil {
		b = append(b, `,"index":`...)
		b = strconv.AppendInt(b, int64(*ev.Index), 10)
		if ev.Label != "" {
			b = append(b, `,"label":`...)
			b = appendJSONString(b, ev.Label)
		}
	}
	if ev.ParentRunID != "" {
		b = append(b, `,"parent_run_id":`...)
		b = appendJSONString(b, ev.ParentRunID)
	}
	if ev.ParentStep != "" {
		// A sub-playbook's line says which step, and which item of a
		// fan-out (step[1]), started it: the sub-runs of a fan-out over
		// hosts run side by side, and their lines look alike.
		b = append(b, `,"parent_step":`...)
		b = appendJSONString(b, ev.ParentStep)
	}
	for _, f := range fields {
		b = append(b, ',')
		b = appendJSONString(b, jsonKey(f.key))
		b = append(b, ':')
		if f.isN {
			b = strconv.AppendInt(b, f.num, 10)
		} else if f.key == "duration" || f.key == "delay" {
			b = strconv.AppendInt(b, durationMS(ev, f.key), 10)
		} else {
			b = appendJSONString(b, f.str)
		}
	}
	b = append(b, `,"message":`...)
	b = appendJSONString(b, msg)
	return append(b, "}\n"...)
}

// jsonKey gives durations their unit in JSON, where values are numbers.
func jsonKey(k string) string {
	switch k {
	case "duration":
		return "duration_ms"
	case "delay":
		return "delay_ms"
	}
	return k
}

func durationMS(ev engine.Event, key string) int64 {
	if key == "delay" {
		return ev.DelayMS
	}
	return ev.DurationMS
}

// appendJSONString appends s as a JSON string; invalid UTF-8 becomes
// U+FFFD, as encoding/json does.
func appendJSONString(b []byte, s string) []byte {
	plain := true
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c == '"' || c == '\\' || c >= 0x80 {
			plain = false
			break
		}
	}
	if plain {
		b = append(b, '"')
		b = append(b, s...)
		return append(b, '"')
	}
	q, _ := json.Marshal(s)
	return appendEscapedControls(b, q)
}

// appendEscapedControls appends the JSON string q with the control
// characters JSON lets through as they are, C1 ones (U+009B is CSI to a
// terminal that reads it in UTF-8) and bidirectional overrides, written as
// \u escapes: the same data, but a line shown on a terminal (tail -f)
// neither acts on them nor reads reordered.
func appendEscapedControls(b, q []byte) []byte {
	for len(q) > 0 {
		r, size := utf8.DecodeRune(q)
		if r >= 0x80 && termtext.IsControl(r) {
			b = append(b, `\u`...)
			b = append(b, fmt.Sprintf("%04x", r)...)
		} else {
			b = append(b, q[:size]...)
		}
		q = q[size:]
	}
	return b
}
