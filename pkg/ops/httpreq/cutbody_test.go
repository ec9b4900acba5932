package httpreq

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/arsenal-run/arsenal-run/pkg/ops/internal/opstest"
)

// cutServer answers with head, the status line and headers, then body,
// and closes the connection: a server that died mid-answer.
func cutServer(t *testing.T, head, body string) string {
	t.Helper()
	s := server(t, func(w http.ResponseWriter, r *http.Request) {
		conn, bw, err := w.(http.Hijacker).Hijack()
		if err != nil {
			t.Error(err)
			return
		}
		defer conn.Close()
		bw.WriteString("HTTP/1.1 200 OK\r\n" + head + "\r\n" + body)
		bw.Flush()
	})
	return s.URL
}

// TestCutBodySaysHowMuchCame: a body the server cut short says how many
// of its Content-Length's bytes came, or that the chunked body ended
// before its last chunk, and that the server closed the connection
// mid-body; a bare "unexpected EOF" left the reader to guess at a bug in
// the tool, a timeout or a cut.
func TestCutBodySaysHowMuchCame(t *testing.T) {
	for _, c := range []struct {
		name, head, body string
		want             []string
	}{
		{"content-length", "Content-Length: 100\r\nContent-Type: text/plain\r\n", "0123456789",
			[]string{"reading the body: the server closed the connection mid-body", "10 of the 100 bytes its Content-Length gave came"}},
		{"chunked", "Transfer-Encoding: chunked\r\n", "5\r\nhello\r\n",
			[]string{"reading the body: the server closed the connection mid-body", "the chunked body ended before its last chunk (5 bytes came)"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			u := cutServer(t, c.head, c.body)
			_, err := opstest.Execute(newRegistry(t), context.Background(), "http.request", map[string]any{"url": u + "/x"})
			if err == nil {
				t.Fatal("a cut body succeeded")
			}
			for _, want := range append(c.want, "GET "+u+"/x: ", "retry:") {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("want %q in %v", want, err)
				}
			}
		})
	}
}
