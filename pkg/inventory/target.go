package inventory

import (
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
)

// The forms of names, checked by hand rather than by regular expressions:
// a bounded repeat such as {0,251} compiles to a program of that many
// states, which cost every start of the program a millisecond.

// validName reports whether s is a host, group or tag name: a letter,
// digit or _, then up to 63 of those, . and -.
func validName(s string) bool {
	return len(s) >= 1 && len(s) <= 64 && wordByte(s[0]) && allNameBytes(s[1:])
}

// validUser reports whether s is a login name: a POSIX portable name,
// plus the trailing $ of machine accounts.
func validUser(s string) bool { return validName(strings.TrimSuffix(s, "$")) }

// validDNS reports whether s has the form of a DNS name used as an
// address: at most 253 letters, digits, _, . and -, starting with a
// letter, digit or _ and not ending with -.
func validDNS(s string) bool {
	if len(s) < 1 || len(s) > 253 || !wordByte(s[0]) || !allNameBytes(s[1:]) {
		return false
	}
	return s[len(s)-1] != '-'
}

func wordByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_'
}

func allNameBytes(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; !wordByte(c) && c != '.' && c != '-' {
			return false
		}
	}
	return true
}

// errBareName is parseTarget's answer for a plain name: it can only be an
// inventory name.
var errBareName = errors.New("a bare name")

// parseTarget reads [user@]addr[:port]; a bare DNS name is errBareName.
func parseTarget(s string, d *Defaults) (*Host, error) {
	bad := func(why string) error {
		return fmt.Errorf("host %q: %s; write an inventory name or [user@]address[:port], e.g. deploy@10.0.0.5:2222 or [2001:db8::1]:22", s, why)
	}
	if s == "" {
		return nil, bad("is empty")
	}
	user, rest, hasUser := strings.Cut(s, "@")
	if !hasUser {
		user, rest = "", s
	} else if !validUser(user) {
		return nil, bad("the user name before @ is not a valid login name")
	}
	addr, port := rest, 0
	switch {
	case strings.HasPrefix(rest, "["):
		h, p, err := net.SplitHostPort(rest)
		if err != nil {
			if strings.HasSuffix(rest, "]") {
				h, p = rest[1:len(rest)-1], ""
			} else {
				return nil, bad("an address in brackets must be [address]:port")
			}
		}
		addr = h
		if p != "" {
			if port, err = checkPort(p); err != nil {
				return nil, bad(err.Error())
			}
		}
		if net.ParseIP(addr) == nil {
			return nil, bad("only an IPv6 address may be written in brackets")
		}
	case strings.Count(rest, ":") == 1:
		h, p, _ := strings.Cut(rest, ":")
		var err error
		if port, err = checkPort(p); err != nil {
			return nil, bad(err.Error())
		}
		addr = h
	case strings.Count(rest, ":") > 1 && net.ParseIP(rest) == nil:
		return nil, bad("an IPv6 address with a port must be written [address]:port")
	}
	if err := checkAddress(addr); err != nil {
		return nil, bad(err.Error())
	}
	if !hasUser && port == 0 && net.ParseIP(addr) == nil {
		return nil, errBareName
	}
	h := &Host{Name: s, Address: addr, Port: port, User: user,
		IdentityFile: d.IdentityFile, CertificateFile: d.CertificateFile, Vars: d.Vars}
	if h.Port == 0 {
		h.Port = d.Port
	}
	if h.Port == 0 {
		h.Port = DefaultPort
	}
	if h.User == "" {
		h.User = d.User
	}
	return h, nil
}

func checkPort(p string) (int, error) {
	n, err := strconv.Atoi(p)
	if err != nil || n < 1 || n > 65535 {
		return 0, fmt.Errorf("port %q is not a number from 1 to 65535", p)
	}
	return n, nil
}

// checkAddress accepts an IP address or a DNS name.
func checkAddress(a string) error {
	switch {
	case a == "":
		return errors.New("the address is empty")
	case net.ParseIP(a) != nil:
		return nil
	case !validDNS(a) || strings.Contains(a, ".."):
		return fmt.Errorf("address %q is neither an IP address nor a DNS name", a)
	}
	return nil
}
