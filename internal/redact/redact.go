// Package redact masks secret values in text the run writes: logs, reports,
// errors and process output. Matching is literal (never a pattern built from
// the secret) and covers the encodings a program is likely to print a secret
// in: base64, URL encoding and JSON string escaping.
package redact

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/url"
	"strings"
	"sync"
)

// Mask is what a secret is replaced with.
const Mask = "***"

// Redactor masks a growing set of secrets. It is safe for concurrent use.
type Redactor struct {
	mu       sync.RWMutex
	secrets  map[string]bool
	replacer *strings.Replacer
	longest  int
}

// New returns a Redactor masking the given secrets; empty ones are ignored.
func New(secrets ...string) *Redactor {
	r := &Redactor{secrets: map[string]bool{}}
	r.Add(secrets...)
	return r
}

// Add masks more secrets from now on.
func (r *Redactor) Add(secrets ...string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	changed := false
	for _, s := range secrets {
		for _, v := range variants(s) {
			if v != "" && !r.secrets[v] {
				r.secrets[v] = true
				changed = true
			}
		}
	}
	if !changed {
		return
	}
	// Longer variants first, so a secret that contains another is masked
	// whole.
	vs := make([]string, 0, len(r.secrets))
	for v := range r.secrets {
		vs = append(vs, v)
	}
	sortByLenDesc(vs)
	pairs := make([]string, 0, 2*len(vs))
	r.longest = 0
	for _, v := range vs {
		pairs = append(pairs, v, Mask)
		r.longest = max(r.longest, len(v))
	}
	r.replacer = strings.NewReplacer(pairs...)
}

// variants are the forms of a secret that are masked.
func variants(s string) []string {
	if s == "" {
		return nil
	}
	out := []string{s}
	if len(s) >= 3 {
		out = append(out,
			base64.StdEncoding.EncodeToString([]byte(s)),
			base64.RawStdEncoding.EncodeToString([]byte(s)),
			base64.URLEncoding.EncodeToString([]byte(s)),
			base64.RawURLEncoding.EncodeToString([]byte(s)),
			url.QueryEscape(s),
			url.PathEscape(s),
		)
		if j, err := json.Marshal(s); err == nil {
			out = append(out, string(j[1:len(j)-1]))
		}
		var b bytes.Buffer
		enc := json.NewEncoder(&b)
		enc.SetEscapeHTML(false)
		if enc.Encode(s) == nil {
			j := bytes.TrimSpace(b.Bytes())
			out = append(out, string(j[1:len(j)-1]))
		}
	}
	return out
}

func sortByLenDesc(vs []string) {
	for i := 1; i < len(vs); i++ {
		for j := i; j > 0 && (len(vs[j]) > len(vs[j-1]) || (len(vs[j]) == len(vs[j-1]) && vs[j] < vs[j-1])); j-- {
			vs[j], vs[j-1] = vs[j-1], vs[j]
		}
	}
}

// Empty reports whether there is nothing to mask.
func (r *Redactor) Empty() bool {
	if r == nil {
		return true
	}
	r.mu.RLock()
	defer r.mu.RUnlock()
	return r.replacer == nil
}

// String masks every secret in s.
func (r *Redactor) String(s string) string {
	if r == nil {
		return s
	}
	r.mu.RLock()
	rep := r.replacer
	r.mu.RUnlock()
	if rep == nil {
		return s
	}
	return rep.Replace(s)
}

// Value returns a copy of plain data (maps, lists, strings, numbers) with
// every string masked. Keys are masked too.
func (r *Redactor) Value(v any) any {
	if r.Empty() {
		return v
	}
	switch x := v.(type) {
	case string:
		return r.String(x)
	case []any:
		out := make([]any, len(x))
		for i, it := range x {
			out[i] = r.Value(it)
		}
		return out
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, it := range x {
			out[r.String(k)] = r.Value(it)
		}
		return out
	}
	return v
}

// Writer returns a writer that masks what it passes to w. It holds back the
// tail of each write that could be the start of a secret split across
// writes; Close (or a newline) flushes it.
func (r *Redactor) Writer(w io.Writer) io.WriteCloser {
	return &writer{r: r, w: w}
}

type writer struct {
	r   *Redactor
	w   io.Writer
	mu  sync.Mutex
	buf []byte
}

func (w *writer) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.buf = append(w.buf, p...)
	// Everything up to the last newline is complete: mask and pass it on.
	// A secret spanning a newline is not a secret a program prints.
	cut := bytes.LastIndexByte(w.buf, '\n') + 1
	w.r.mu.RLock()
	hold := w.r.longest
	w.r.mu.RUnlock()
	if len(w.buf)-cut > 4*max(hold, 1024) {
		cut = len(w.buf) - hold
	}
	if cut > 0 {
		out := w.r.String(string(w.buf[:cut]))
		n := copy(w.buf, w.buf[cut:])
		w.buf = w.buf[:n]
		if _, err := io.WriteString(w.w, out); err != nil {
			return 0, err
		}
	}
	return len(p), nil
}

func (w *writer) Close() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if len(w.buf) == 0 {
		return nil
	}
	_, err := io.WriteString(w.w, w.r.String(string(w.buf)))
	w.buf = nil
	return err
}
