package pgtest

import (
	"net"
	"testing"
)

// Silent listens on a loopback port as a database that takes connections
// but never answers does (a stuck server, a proxy whose backend is gone),
// until the test ends. It returns the address and a channel that gets a
// value each time a connection is taken, when one is not already waiting.
func Silent(t testing.TB) (addr string, taken <-chan struct{}) {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	ch := make(chan struct{}, 1)
	go func() {
		var held []net.Conn // read nothing, answer nothing, until the end
		defer func() {
			for _, c := range held {
				c.Close()
			}
		}()
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			held = append(held, c)
			select {
			case ch <- struct{}{}:
			default:
			}
		}
	}()
	return l.Addr().String(), ch
}
