package notify

import (
	"net"
	"os"
	"strings"
)

// hostname is os.Hostname, a variable so that tests can stand for a
// machine whose name is short or unset.
var hostname = os.Hostname

// heloName is the name notify.email greets a server with (EHLO). Strict
// relays (Postfix's reject_non_fqdn_helo_hostname) refuse a name that is
// not a fully qualified domain name or an address literal, such as
// localhost or a short host name: the machine's name is given when it is
// fully qualified, else the address literal of the connection's own end
// ([192.0.2.7], [IPv6:2001:db8::7]), which such relays take.
func heloName(local net.Addr) string {
	if h, err := hostname(); err == nil && fqdn(h) {
		return strings.TrimSuffix(h, ".")
	}
	if a, ok := local.(*net.TCPAddr); ok && a.IP != nil {
		if ip4 := a.IP.To4(); ip4 != nil {
			return "[" + ip4.String() + "]"
		}
		return "[IPv6:" + a.IP.String() + "]"
	}
	return "localhost"
}

// fqdn reports whether h is a host name of at least two labels, each of
// letters, digits and hyphens, not starting or ending with a hyphen.
func fqdn(h string) bool {
	h = strings.TrimSuffix(h, ".")
	if len(h) > 253 || !strings.Contains(h, ".") {
		return false
	}
	for label := range strings.SplitSeq(h, ".") {
		if label == "" || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' {
			return false
		}
		for _, r := range label {
			if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-') {
				return false
			}
		}
	}
	return !strings.EqualFold(h, "localhost.localdomain")
}
