package report

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
)

// knownStatuses are the statuses this version of the format writes: the
// five a step ends in, those of a live snapshot and of a store's record
// of a run whose process died.
var knownStatuses = []Status{StatusSucceeded, StatusFailed, StatusSkipped, StatusDenied, StatusCancelled,
	statusRunning, statusQueued, statusInterrupted}

// keyAt is a path element that names an object's key itself, not the
// value under it: a status used as a key of item_counts.
type keyAt string

// unknownStatus refuses a report that holds a status this version does
// not know (one from a newer arsenal-run, or edited by hand): shown, it
// would read as "?", and a resumed run could not tell whether such a step
// is done. The DecodeError points at the first such status in data.
func unknownStatus(data []byte, r *Report) error {
	var w statusWalk
	w.check([]any{"status"}, r.Status)
	w.steps([]any{"steps"}, r.Steps)
	if w.path == nil {
		return nil
	}
	known := make([]string, len(knownStatuses))
	for i, s := range knownStatuses {
		known[i] = string(s)
	}
	more := ""
	if w.n > 1 {
		more = fmt.Sprintf(" (and %d more unknown statuses)", w.n-1)
	}
	what := fmt.Sprintf("%s is %q", pathString(w.path), w.val)
	if ka, ok := w.path[len(w.path)-1].(keyAt); ok {
		what = fmt.Sprintf("%s has the key %q", pathString(w.path[:len(w.path)-1]), string(ka))
	}
	e := &DecodeError{Foreign: true, Msg: fmt.Sprintf("%s, a status it does not know%s; it knows %s: the report was written by a newer arsenal-run or edited, so read it with the arsenal-run that wrote it",
		what, more, strings.Join(known, ", "))}
	if off, ok := seek(json.NewDecoder(bytes.NewReader(data)), data, w.path); ok {
		e.Line, e.Col = lineCol(data, off)
	}
	return e
}

// statusWalk finds the first unknown status of a report, and counts them.
type statusWalk struct {
	path []any
	val  Status
	n    int
}

func (w *statusWalk) check(path []any, s Status) {
	// No status at all is left to the renderers, as it always was.
	if s == "" {
		return
	}
	for _, k := range knownStatuses {
		if s == k {
			return
		}
	}
	if w.n++; w.path == nil {
		w.path, w.val = path, s
	}
}

func (w *statusWalk) steps(path []any, steps []Step) {
	for i := range steps {
		s := &steps[i]
		at := func(rest ...any) []any { return append(append(append([]any{}, path...), i), rest...) }
		w.check(at("status"), s.Status)
		for j := range s.Items {
			w.check(at("items", j, "status"), s.Items[j].Status)
		}
		for k := range s.ItemCounts {
			w.check(at("item_counts", keyAt(k)), k)
		}
		if s.Sub != nil {
			w.check(at("sub", "status"), s.Sub.Status)
			w.steps(at("sub", "steps"), s.Sub.Steps)
		}
		for j, sub := range s.Subs {
			if sub != nil {
				w.check(at("subs", j, "status"), sub.Status)
				w.steps(at("subs", j, "steps"), sub.Steps)
			}
		}
	}
}

// pathString writes path as steps[2].items[0].status.
func pathString(path []any) string {
	var b strings.Builder
	for _, p := range path {
		switch p := p.(type) {
		case int:
			fmt.Fprintf(&b, "[%d]", p)
		case string:
			if b.Len() > 0 {
				b.WriteByte('.')
			}
			b.WriteString(p)
		}
	}
	return b.String()
}

// seek reads dec, at the start of a value in data, to the value at path
// (or the key, for a keyAt) and returns the offset where it begins.
func seek(dec *json.Decoder, data []byte, path []any) (int, bool) {
	if len(path) == 0 {
		return skipSeparators(data, int(dec.InputOffset())), true
	}
	tok, err := dec.Token()
	if err != nil {
		return 0, false
	}
	switch tok {
	case json.Delim('{'):
		for dec.More() {
			before := skipSeparators(data, int(dec.InputOffset()))
			k, err := dec.Token()
			if err != nil {
				return 0, false
			}
			if ka, ok := path[0].(keyAt); ok && k == string(ka) {
				return before, true
			}
			if name, ok := path[0].(string); ok && k == name {
				return seek(dec, data, path[1:])
			}
			var skip json.RawMessage
			if dec.Decode(&skip) != nil {
				return 0, false
			}
		}
	case json.Delim('['):
		for n := 0; dec.More(); n++ {
			if i, ok := path[0].(int); ok && i == n {
				return seek(dec, data, path[1:])
			}
			var skip json.RawMessage
			if dec.Decode(&skip) != nil {
				return 0, false
			}
		}
	}
	return 0, false
}

// skipSeparators is the offset of the first byte at or after off that is
// no white space, comma or colon: where the next key or value begins.
func skipSeparators(data []byte, off int) int {
	for off < len(data) && bytes.IndexByte([]byte(" \t\r\n,:"), data[off]) >= 0 {
		off++
	}
	return off
}
