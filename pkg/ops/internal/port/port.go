// Package port checks the ports of the addresses and URLs that operations
// dial. A dialer takes a service name such as "https" too, and finds a
// number out of range only when dialling, which a check would read as a
// closed port or a node down, and a step would retry: a port must be a
// decimal number from 1 to 65535 before anything is dialled.
package port

import (
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
)

// Check accepts a decimal port from 1 to 65535.
func Check(p string) error {
	if n, err := strconv.ParseUint(p, 10, 16); err != nil || n == 0 {
		return fmt.Errorf("port %s is not a number from 1 to 65535", p)
	}
	return nil
}

// OfURL checks the port of u, if it names one.
func OfURL(u *url.URL) error {
	if p := u.Port(); p != "" {
		return Check(p)
	}
	return nil
}

// ParseError is url.Parse's error err said as a port problem when it is
// one (a port that is not a number), else nil. It never repeats the URL,
// nor, when the URL holds an @, the port url.Parse quotes: a password
// holding a / ends the host before its @, and the "port" is then the
// password's head, which a secret's masking does not find, as it is not
// the whole secret.
func ParseError(err error) error {
	ue, ok := errors.AsType[*url.Error](err)
	if !ok || !strings.HasPrefix(ue.Err.Error(), "invalid port ") {
		return nil
	}
	if strings.Contains(ue.URL, "@") {
		return errors.New("the text after the host's last : is not a port, a number from 1 to 65535; " +
			"if the URL holds USER:PASSWORD@, escape the password with urlPathEscape(x), " +
			"as a / ? or # in it ends the host early")
	}
	return fmt.Errorf("%v; a port is a number from 1 to 65535", ue.Err)
}
