// Package testport finds loopback ports for the servers that tests start,
// and may stop and start again on the same port.
package testport

import (
	"errors"
	"math/rand/v2"
	"net"
	"os"
	"strconv"
	"strings"
)

// lowest is the lowest port Free hands out: below it lie the ports that
// well-known services are configured on.
const lowest = 10000

// Free returns a loopback TCP port that was free a moment ago, below the
// kernel's range of ephemeral ports. A test that stops its server and
// starts it again on the same port (a database restart, an SSH server
// that comes back) needs the port to stay free in between: one in the
// ephemeral range may be handed meanwhile to another program's listener
// on port 0 or to an outgoing connection (the tests of other packages run
// at the same time), and the server then fails to start with "address
// already in use". The kernel hands out no port below that range of its
// own accord.
func Free() (int, error) {
	if hi := EphemeralLow() - 1; hi-lowest >= 1000 {
		for range 200 {
			p := lowest + rand.IntN(hi-lowest+1)
			l, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(p)))
			if err == nil {
				l.Close()
				return p, nil
			}
		}
	}
	// A system whose ephemeral range leaves no room below it, or whose
	// every port tried was taken: any free port.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	addr, ok := l.Addr().(*net.TCPAddr)
	if !ok {
		return 0, errors.New("a TCP listener without a TCP address")
	}
	return addr.Port, nil
}

// EphemeralLow is the first port of the kernel's ephemeral range
// (net.ipv4.ip_local_port_range), 32768 where it cannot be read.
func EphemeralLow() int {
	b, err := os.ReadFile("/proc/sys/net/ipv4/ip_local_port_range")
	if err != nil {
		return 32768
	}
	f := strings.Fields(string(b))
	if len(f) == 0 {
		return 32768
	}
	n, err := strconv.Atoi(f[0])
	if err != nil || n < 1 {
		return 32768
	}
	return n
}
