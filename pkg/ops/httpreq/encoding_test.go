package httpreq

import (
	"bytes"
	"compress/gzip"
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/arsenal-run/arsenal-run/pkg/ops/internal/opstest"
)

// TestAcceptEncodingGzipIsDecoded: a step whose headers ask for gzip (an
// Accept-Encoding copied from curl or a browser) gets the body decoded, as
// without the header; it got the compressed bytes, mangled into text, and
// json_error "invalid character '\x1f'". An encoding that is not decoded
// says so in json_error.
func TestAcceptEncodingGzipIsDecoded(t *testing.T) {
	var zipped bytes.Buffer
	zw := gzip.NewWriter(&zipped)
	zw.Write([]byte(`{"a": 1}`))
	zw.Close()
	s := server(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		switch {
		case r.URL.Path == "/br":
			w.Header().Set("Content-Encoding", "br")
			w.Write([]byte{0x0b, 0x02, 0x80})
		case r.Method == http.MethodHead || r.URL.Path == "/empty":
			w.Header().Set("Content-Encoding", "gzip")
			w.WriteHeader(http.StatusNoContent)
		default:
			w.Header().Set("Content-Encoding", "gzip")
			w.Write(zipped.Bytes())
		}
	})
	r := newRegistry(t)
	headers := map[string]any{"Accept-Encoding": "gzip, deflate, br"}
	out, err := opstest.Execute(r, context.Background(), "http.request", map[string]any{"url": s.URL, "headers": headers})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(map[string]any{"a": 1}, out["json"]); diff != "" || out["body"] != `{"a": 1}` {
		t.Errorf("json (-want +got):\n%s\nbody %q, json_error %v", diff, out["body"], out["json_error"])
	}
	if h := out["headers"].(map[string]any); h["Content-Encoding"] != nil || h["Content-Length"] != nil {
		t.Errorf("headers of the encoded body kept: %v", h)
	}
	for _, raw := range []map[string]any{
		{"url": s.URL + "/empty", "headers": headers},
		{"url": s.URL, "method": "HEAD", "headers": headers},
	} {
		if out, err := opstest.Execute(r, context.Background(), "http.request", raw); err != nil || out["body"] != "" {
			t.Errorf("%v: no body: %v %v", raw, out, err)
		}
	}
	out, err = opstest.Execute(r, context.Background(), "http.request", map[string]any{"url": s.URL + "/br", "headers": headers})
	if msg, _ := out["json_error"].(string); err != nil || !strings.Contains(msg, "encoded with br") || !strings.Contains(msg, "leave Accept-Encoding out") {
		t.Errorf("br: %v %v", out, err)
	}
}
