package main

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"strconv"
	"time"
)

// rawConn is one keep-alive HTTP/1.1 connection that sends the same
// request again and again and reads each response to its end. It does in
// a few microseconds what net/http's client does in about seventy, so on
// a machine it shares with the server it leaves the server more of the
// CPU: the figure it gives is closer to the server's own capacity.
type rawConn struct {
	addr, local string
	req         []byte
	conn        net.Conn
	r           *bufio.Reader
	discard     []byte
}

// newRaw returns a connection (dialled on first use) that sends method
// target with body and the headers given, as name and value pairs.
func newRaw(target, method string, body []byte, local string, headers ...string) (*rawConn, error) {
	u, err := url.Parse(target)
	if err != nil {
		return nil, err
	}
	if u.Scheme != "http" {
		return nil, fmt.Errorf("-client raw speaks plain http, not %s", u.Scheme)
	}
	var b bytes.Buffer
	fmt.Fprintf(&b, "%s %s HTTP/1.1\r\nHost: %s\r\n", method, u.RequestURI(), u.Host)
	for i := 0; i+1 < len(headers); i += 2 {
		fmt.Fprintf(&b, "%s: %s\r\n", headers[i], headers[i+1])
	}
	if body != nil {
		fmt.Fprintf(&b, "Content-Length: %d\r\n", len(body))
	}
	b.WriteString("\r\n")
	b.Write(body)
	return &rawConn{addr: u.Host, local: local, req: b.Bytes(), discard: make([]byte, 32<<10)}, nil
}

// do sends the request and returns the response's status code. A
// connection the server closed, or one left in an unknown state by an
// error, is dialled again on the next call.
func (c *rawConn) do() (int, error) {
	if c.conn == nil {
		d := net.Dialer{Timeout: 5 * time.Second}
		if c.local != "" {
			d.LocalAddr = &net.TCPAddr{IP: net.ParseIP(c.local)}
		}
		conn, err := d.Dial("tcp", c.addr)
		if err != nil {
			return 0, err
		}
		c.conn, c.r = conn, bufio.NewReaderSize(conn, 16<<10)
	}
	code, keep, err := c.roundTrip()
	if err != nil || !keep {
		c.conn.Close()
		c.conn = nil
	}
	return code, err
}

func (c *rawConn) roundTrip() (code int, keep bool, err error) {
	c.conn.SetDeadline(time.Now().Add(30 * time.Second))
	if _, err := c.conn.Write(c.req); err != nil {
		return 0, false, err
	}
	line, err := c.r.ReadSlice('\n')
	if err != nil {
		return 0, false, err
	}
	// "HTTP/1.1 200 OK\r\n"
	if len(line) < 12 || !bytes.HasPrefix(line, []byte("HTTP/1.")) {
		return 0, false, fmt.Errorf("not an HTTP status line: %q", line)
	}
	code, err = strconv.Atoi(string(line[9:12]))
	if err != nil {
		return 0, false, fmt.Errorf("status line %q: %w", line, err)
	}
	length, chunked, keep := int64(-1), false, true
	for {
		h, err := c.r.ReadSlice('\n')
		if err != nil {
			return code, false, err
		}
		h = bytes.TrimRight(h, "\r\n")
		if len(h) == 0 {
			break
		}
		name, value, _ := bytes.Cut(h, []byte(":"))
		value = bytes.TrimSpace(value)
		switch {
		case bytes.EqualFold(name, []byte("Content-Length")):
			length, err = strconv.ParseInt(string(value), 10, 64)
			if err != nil {
				return code, false, fmt.Errorf("Content-Length %q", value)
			}
		case bytes.EqualFold(name, []byte("Transfer-Encoding")):
			chunked = bytes.EqualFold(value, []byte("chunked"))
		case bytes.EqualFold(name, []byte("Connection")):
			keep = !bytes.EqualFold(value, []byte("close"))
		}
	}
	switch {
	case chunked:
		err = c.skipChunks()
	case length >= 0:
		err = c.skip(length)
	default:
		return code, false, errors.New("a response with neither a length nor chunks")
	}
	return code, keep && err == nil, err
}

func (c *rawConn) skip(n int64) error {
	_, err := io.CopyBuffer(io.Discard, io.LimitReader(c.r, n), c.discard)
	return err
}

func (c *rawConn) skipChunks() error {
	for {
		line, err := c.r.ReadSlice('\n')
		if err != nil {
			return err
		}
		size, _, _ := bytes.Cut(bytes.TrimRight(line, "\r\n"), []byte(";"))
		n, err := strconv.ParseInt(string(size), 16, 64)
		if err != nil {
			return fmt.Errorf("chunk size %q", line)
		}
		if n == 0 { // the last chunk, then trailers up to an empty line
			for {
				t, err := c.r.ReadSlice('\n')
				if err != nil {
					return err
				}
				if len(bytes.TrimRight(t, "\r\n")) == 0 {
					return nil
				}
			}
		}
		if err := c.skip(n + 2); err != nil { // the data and its CRLF
			return err
		}
	}
}
