package cli

import (
	"errors"
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"
	"syscall"
)

// listenError says why --listen ADDR could not listen, with what to do: a
// bare "bind: permission denied" leaves a user who is not root guessing.
func listenError(addr string, err error) string {
	msg := fmt.Sprintf("--listen %s: %v", addr, err)
	var dns *net.DNSError
	switch {
	case errors.As(err, &dns):
		return msg + "; the host name does not resolve to an address of this host: give one of its IP addresses, 0.0.0.0 for every interface, or a bare port for loopback"
	case errors.Is(err, syscall.EACCES):
		first := unprivilegedPortStart()
		return fmt.Sprintf("%s; ports below %d need root or the CAP_NET_BIND_SERVICE capability, which this process lacks: "+
			"choose a port of %d or above (like 127.0.0.1:8080), put a proxy that may listen there in front, or give the binary the capability (setcap cap_net_bind_service=+ep)",
			msg, first, first)
	case errors.Is(err, syscall.EADDRINUSE):
		return msg + "; another process listens there: stop it or choose another port"
	case errors.Is(err, syscall.EADDRNOTAVAIL):
		return msg + "; no network interface of this host has that address: give one of its addresses, 0.0.0.0 for every interface, or a bare port for loopback"
	}
	return msg
}

// unprivilegedPortStart is the first port a process without
// CAP_NET_BIND_SERVICE may listen on (net.ipv4.ip_unprivileged_port_start
// on Linux, 1024 elsewhere and by default).
func unprivilegedPortStart() int {
	b, err := os.ReadFile("/proc/sys/net/ipv4/ip_unprivileged_port_start")
	if err != nil {
		return 1024
	}
	n, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil || n <= 0 {
		return 1024
	}
	return n
}
