package httpreq

import (
	"errors"
	"fmt"
	"io"
	"net/http"
)

// counted counts the bytes of a body as they are read from the
// connection, before a gzip of the step's own is decoded.
type counted struct {
	io.ReadCloser
	n int64
}

func (c *counted) Read(p []byte) (int, error) {
	n, err := c.ReadCloser.Read(p)
	c.n += int64(n)
	return n, err
}

// cutBody says what a body that ended early means, where net/http says
// only "unexpected EOF": how much of it came, and that the server closed
// the connection mid-body. got counts the bytes read from the connection
// (decoded when net/http decoded gzip itself). Other errors are err.
func cutBody(err error, resp *http.Response, got int64) error {
	if !errors.Is(err, io.ErrUnexpectedEOF) {
		return err
	}
	const what = "; the server crashed or restarted mid-answer, or a proxy or load balancer cut it: " +
		"retry the step (retry:), and read the server's log if it keeps happening"
	chunked := len(resp.TransferEncoding) > 0 && resp.TransferEncoding[0] == "chunked"
	switch {
	case resp.ContentLength >= 0 && got < resp.ContentLength:
		return fmt.Errorf("the server closed the connection mid-body: %d of the %d bytes its Content-Length gave came%s",
			got, resp.ContentLength, what)
	case resp.ContentLength >= 0:
		// Every byte came: it is the gzip in them that ends early.
		return fmt.Errorf("the body's gzip stream ends early, though all %d bytes its Content-Length gave came: "+
			"the server sent a cut gzip; leave Accept-Encoding out of headers to see if it answers whole without it", got)
	case resp.Uncompressed:
		return fmt.Errorf("the server closed the connection mid-body: the gzip body ended early (%d bytes came, decoded)%s", got, what)
	case chunked:
		return fmt.Errorf("the server closed the connection mid-body: the chunked body ended before its last chunk (%d bytes came)%s", got, what)
	}
	return fmt.Errorf("the body ended early (%d bytes came)%s", got, what)
}
