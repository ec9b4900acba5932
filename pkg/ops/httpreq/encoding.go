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
func decodedBody(resp *http.Response) (body io.Reader, undecoded string, err error) {
	enc := strings.ToLower(strings.TrimSpace(resp.Header.Get("Content-Encoding")))
	switch {
	case resp.Uncompressed, enc == "", enc == "identity":
		return resp.Body, "", nil
	case enc != "gzip" && enc != "x-gzip":
		return resp.Body, enc, nil
	}
	br := bufio.NewReader(resp.Body)
	if _, err := br.Peek(1); err == io.EOF {
		return br, "", nil // no body: a HEAD, a 204
	}
	zr, err := gzip.NewReader(br)
	if err != nil {
		return nil, "", errors.New("the body is not gzip, though its Content-Encoding says so; leave Accept-Encoding out of headers")
	}
	resp.Header.Del("Content-Encoding")
	resp.Header.Del("Content-Length")
	return zr, "", nil
}
