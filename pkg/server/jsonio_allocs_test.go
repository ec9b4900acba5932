package server

import (
	"io"
	"net/http"
	"testing"
)

// TestJSONAnswerAllocs bounds the allocations of reading an execute's
// body and writing its answer, paid on every API request: the buffers
// and the encoder are kept between requests, and the headers every
// answer has are not made again.
func TestJSONAnswerAllocs(t *testing.T) {
	body := &rewindBody{data: []byte(`{"params":{"message":"hello"}}`)}
	req, err := http.NewRequest("POST", "/api/v1/operations/control.noop/execute", body)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	answer := map[string]any{"run_id": "20261207T000000-0123456789abcdef", "status": "succeeded", "output": map[string]any{}}
	w := &headerWriter{h: http.Header{}}
	read := func() {
		body.off = 0
		var v executeRequest
		if e := decodeStrict(req, 1<<20, &v); e != nil {
			t.Fatal(e)
		}
	}
	write := func() {
		clear(w.h)
		writeJSON(w, http.StatusOK, answer)
	}
	read()
	write()
	reads, writes := testing.AllocsPerRun(100, read), testing.AllocsPerRun(100, write)
	t.Logf("%.0f allocations to read the body, %.0f to write the answer", reads, writes)
	// What is left: decoding the object and its map, and the encoder's
	// sorting of the answer's keys; a small answer's length is net/http's
	// to give (autoLength). The old way made 9 and 12, and 8 to write
	// with the length. The race detector drops some of what a pool is
	// given, and its counts vary: 10 and 10 here.
	maxReads, maxWrites := 7.0, 7.0
	if raceBuild {
		maxReads, maxWrites = 12, 12
	}
	if reads > maxReads || writes > maxWrites {
		t.Errorf("reading the body made %.0f allocations, writing the answer %.0f; want at most %.0f and %.0f", reads, writes, maxReads, maxWrites)
	}
}

// rewindBody is a request body read again from its start.
type rewindBody struct {
	data []byte
	off  int
}

func (b *rewindBody) Read(p []byte) (int, error) {
	if b.off == len(b.data) {
		return 0, io.EOF
	}
	n := copy(p, b.data[b.off:])
	b.off += n
	return n, nil
}

func (b *rewindBody) Close() error { return nil }

// headerWriter is a ResponseWriter that keeps headers and drops the body.
type headerWriter struct{ h http.Header }

func (w *headerWriter) Header() http.Header         { return w.h }
func (w *headerWriter) WriteHeader(int)             {}
func (w *headerWriter) Write(p []byte) (int, error) { return len(p), nil }
