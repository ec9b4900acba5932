package redact

import (
	"bytes"
	"io"
	"sync"
	"unicode/utf8"
)

// Writer returns a writer that masks what it passes to w. It holds back the
// tail of each write that could be the start of a secret split across
// writes; Close (or a newline) flushes it.
func (r *Redactor) Writer(w io.Writer) io.WriteCloser {
	return &writer{r: r, w: w, mask: r.String}
}

// JSONWriter is Writer for JSON lines, such as a JSON logger's: each
// string in them is masked as decoded, then encoded again. Masking the
// encoded text alone misses a secret the encoding escaped, or escaped
// once more because it was already quoted in a message.
func (r *Redactor) JSONWriter(w io.Writer) io.WriteCloser {
	return &writer{r: r, w: w, mask: func(s string) string { return r.String(r.jsonStrings(s)) }}
}

type writer struct {
	r    *Redactor
	w    io.Writer
	mask func(string) string
	mu   sync.Mutex
	buf  []byte
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
	if len(w.buf)-cut > 4*max(hold, 1024) {
		// A long line: pass on all but the last hold bytes, cut before
		// any secret the cut would go through, which then goes whole
		// with the rest.
		cut = w.r.safeCut(w.buf, runeStart(w.buf, len(w.buf)-hold))
	}
	w.r.mu.RUnlock()
	if cut > 0 {
		out := w.mask(string(w.buf[:cut]))
		n := copy(w.buf, w.buf[cut:])
		w.buf = w.buf[:n]
		if _, err := io.WriteString(w.w, out); err != nil {
			return 0, err
		}
	}
	return len(p), nil
}

// runeStart moves cut back to the start of the UTF-8 sequence it would
// go through, so that each part of a long line is whole characters: a
// writer after this one that reads characters (one writing C1 controls
// as escapes) sees a character cut in two as two invalid bytes.
func runeStart(b []byte, cut int) int {
	for i := cut; i > 0 && cut-i < utf8.UTFMax && i < len(b); i-- {
		if !utf8.RuneStart(b[i]) {
			continue
		}
		if _, size := utf8.DecodeRune(b[i:]); i < cut && i+size > cut {
			return i
		}
		return cut
	}
	return cut
}

// safeCut moves cut back to the start of any secret that begins before it
// and ends after it, until none does. r.mu is held for reading.
func (r *Redactor) safeCut(b []byte, cut int) int {
	for moved := true; moved; {
		moved = false
		for v := range r.secrets {
			lo := max(cut-len(v)+1, 0)
			hi := min(cut+len(v)-1, len(b))
			if lo >= cut || hi <= cut {
				continue
			}
			if i := bytes.Index(b[lo:hi], []byte(v)); i >= 0 {
				cut, moved = lo+i, true
			}
		}
	}
	return cut
}

func (w *writer) Close() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if len(w.buf) == 0 {
		return nil
	}
	_, err := io.WriteString(w.w, w.mask(string(w.buf)))
	w.buf = nil
	return err
}
