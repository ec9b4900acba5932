package httpreq

import (
	"bufio"
	"compress/gzip"
	"errors"
	"io"
	"net/http"
	"strings"
)

// decodedBody is the body as the step keeps it. net/http decodes gzip
// only when it asked for gzip itself; a step whose headers ask for an
// encoding (an Accept-Encoding copied from a browser or curl) got the
// encoded bytes, which the body output, UTF-8 text, cannot even keep
// whole. So gzip is decoded here too, and its Content-Encoding and
// Content-Length dropped from resp's headers, as net/http drops them.
// Another encoding is left as it came and returned as undecoded.
func decodedBody(resp *http.Response) (body io.Reader, undecoded string) {
	enc := strings.ToLower(strings.TrimSpace(resp.Header.Get("Content-Encoding")))
	switch {
	case resp.Uncompressed, enc == "", enc == "identity":
		return resp.Body, ""
	case enc != "gzip" && enc != "x-gzip":
		return resp.Body, enc
	}
	resp.Header.Del("Content-Encoding")
	resp.Header.Del("Content-Length")
	return &gunzipper{br: bufio.NewReader(resp.Body)}, ""
}

// gunzipper decodes a gzip body as it is read, its header too: a body
// that is slow to come, or cut, fails as the reading of any body does
// (a timeout says the answer came), not as a body that is not gzip.
type gunzipper struct {
	br *bufio.Reader
	zr *gzip.Reader
}

func (g *gunzipper) Read(p []byte) (int, error) {
	if g.zr == nil {
		// A gzip stream starts with 10 bytes, the first two 1f 8b.
		head, err := g.br.Peek(10)
		switch {
		case len(head) == 0 && err == io.EOF:
			return 0, io.EOF // no body: a HEAD, a 204
		case err != nil && err != io.EOF:
			return 0, err // slow to come, or cut
		case err == io.EOF || head[0] != 0x1f || head[1] != 0x8b:
			return 0, errNotGzip
		}
		zr, err := gzip.NewReader(g.br)
		switch {
		case errors.Is(err, gzip.ErrHeader):
			return 0, errNotGzip
		case err != nil:
			return 0, err
		}
		g.zr = zr
	}
	return g.zr.Read(p)
}

var errNotGzip = errors.New("the body is not gzip, though its Content-Encoding says so; leave Accept-Encoding out of headers")
