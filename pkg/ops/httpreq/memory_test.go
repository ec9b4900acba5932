package httpreq

import (
	"context"
	"fmt"
	"net/http"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/arsenal-run/arsenal-run/internal/jsonx"
	"github.com/arsenal-run/arsenal-run/pkg/ops/internal/jsoncost"
	"github.com/arsenal-run/arsenal-run/pkg/ops/internal/opstest"
)

// jsonArray is a JSON array of el, n times.
func jsonArray(el string, n int) []byte {
	var b strings.Builder
	b.WriteByte('[')
	for i := range n {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(el)
	}
	b.WriteByte(']')
	return []byte(b.String())
}

// TestJSONCostBoundsTheDecodedValue: the value decoded is never larger
// than jsoncost.Of says (which counts the decoder's copy of the text too, a
// moment's), for the shapes
// that take the most of their text (small maps, empty lists) and for
// plain ones.
func TestJSONCostBoundsTheDecodedValue(t *testing.T) {
	for _, el := range []string{`{}`, `[]`, `1`, `123456789`, `-1.5e3`, `""`, `{"a":1}`, `{"a":{"b":[1,2]}}`, `[[[[]]]]`,
		`{"id":123456,"name":"abcdefgh","ok":true,"tags":["x","y"],"n":null}`, `"` + strings.Repeat("x", 40) + `"`,
		`{"a":1,"b":2,"c":3,"d":4,"e":5,"f":6,"g":7,"h":8,"i":9,"j":10,"k":11}`} {
		data := jsonArray(el, (512<<10)/(len(el)+1))
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		v, err := jsonx.Decode(data)
		v = jsonx.Numbers(v)
		runtime.GC()
		runtime.ReadMemStats(&after)
		runtime.KeepAlive(v)
		if err != nil {
			t.Fatal(err)
		}
		held := int64(after.HeapAlloc) - int64(before.HeapAlloc)
		if cost := jsoncost.Of(data); held > cost {
			t.Errorf("%s: decoding %d bytes held %d, more than the %d jsoncost.Of says", el, len(data), held, cost)
		}
	}
}

// TestHostileJSONIsNotDecodedPastTheLimit: a server that answers JSON of
// small objects, which take about forty times their text decoded (two
// MiB here, 64 MiB under max_bytes: gigabytes), gets its body kept as
// text but not decoded when that would pass the process's output memory;
// json_error says why and what to do.
func TestHostileJSONIsNotDecodedPastTheLimit(t *testing.T) {
	body := jsonArray(`{"a":1}`, (2<<20)/8)
	s := server(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Write(body)
	})
	r := newRegistry(t)
	r.OutputMemory().SetLimit(16 << 20)
	out, err := opstest.Execute(r, context.Background(), "http.request", map[string]any{"url": s.URL, "max_bytes": 4 << 20})
	if err != nil {
		t.Fatal(err)
	}
	msg, _ := out["json_error"].(string)
	if out["json"] != nil || len(out["body"].(string)) != len(body) || !strings.Contains(msg, "was not decoded: its JSON would take about") ||
		!strings.Contains(msg, "more than the 16 MiB") || !strings.Contains(msg, "--max-output-memory") {
		t.Errorf("json_error %q, json decoded %v; want the body kept, not decoded, saying why", msg, out["json"] != nil)
	}
	if now, _ := r.OutputMemory().Used(); now != 0 {
		t.Errorf("%d bytes still held", now)
	}
}

// TestBodiesHoldTheProcessOutputMemory: responses read at once hold their
// bodies and text in the registry's output memory and wait for room past
// its limit, with a Content-Length or without (chunked).
func TestBodiesHoldTheProcessOutputMemory(t *testing.T) {
	const mib = 1 << 20
	body := strings.Repeat("x", mib)
	s := server(t, func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/length" {
			w.Header().Set("Content-Length", strconv.Itoa(len(body)))
		}
		w.Write([]byte(body[:mib/2]))
		w.(http.Flusher).Flush() // chunked without a Content-Length
		w.Write([]byte(body[mib/2:]))
	})
	r := newRegistry(t)
	mem := r.OutputMemory()
	mem.SetLimit(4 * mib)
	var wg sync.WaitGroup
	for i := range 8 {
		path := []string{"/length", "/chunked"}[i%2]
		wg.Go(func() {
			out, err := opstest.Execute(r, context.Background(), "http.request", map[string]any{"url": s.URL + path, "max_bytes": mib})
			if err != nil || out["body"] != body {
				t.Errorf("%s: %v", path, err)
			}
		})
	}
	wg.Wait()
	// With a Content-Length a read holds the body and its text, 2 MiB;
	// chunked, twice max_bytes for the body, then it and the text. The
	// pool let a growth through past its limit when all waited to grow.
	now, peak := mem.Used()
	if now != 0 || peak < 2*mib || peak > 4*mib {
		t.Errorf("held %d bytes after, %d at most at once; want 0, and 2 to 4 MiB at once, never past the limit", now, peak)
	}
	mem.SetLimit(mib)
	_, err := opstest.Execute(r, context.Background(), "http.request", map[string]any{"url": s.URL + "/chunked", "max_bytes": mib})
	if want := fmt.Sprintf("GET %s/chunked (max_bytes %d) would hold 2.0 MiB (2097152 bytes) at once", s.URL, mib); err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("a body past the whole limit: %v; want %q", err, want)
	}
}
