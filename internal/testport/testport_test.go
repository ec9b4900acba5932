package testport

import (
	"net"
	"strconv"
	"testing"
)

// TestFreeIsBelowTheEphemeralRange: the port is one the kernel hands to
// no listener on port 0 and no outgoing connection, and it is free.
func TestFreeIsBelowTheEphemeralRange(t *testing.T) {
	low := EphemeralLow()
	if low-lowest < 1000 {
		t.Skipf("the ephemeral range begins at %d: no room below it", low)
	}
	for range 20 {
		p, err := Free()
		if err != nil {
			t.Fatal(err)
		}
		if p < lowest || p >= low {
			t.Fatalf("port %d, want one in [%d, %d)", p, lowest, low)
		}
		l, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(p)))
		if err != nil {
			t.Fatalf("port %d is not free: %v", p, err)
		}
		l.Close()
	}
}
