package notify

import (
	"errors"
	"net"
	"net/http"
	"net/textproto"
	"strconv"
	"syscall"
)

// dialHint says which params to check when the connection could not be
// made: host, for a host that does not resolve, or addr, for an address
// where nothing listens ("the host in param url", "params host and
// port"). It is empty for other failures, which tell their own story (a
// denial, a TLS failure with its own hint).
func dialHint(err error, host, addr string) string {
	if dnsErr, ok := errors.AsType[*net.DNSError](err); ok && dnsErr.IsNotFound {
		return "; host " + dnsErr.Name + " does not resolve: check " + host +
			", and the input or variable it comes from"
	}
	if !errors.Is(err, syscall.ECONNREFUSED) {
		return ""
	}
	at := ""
	proxy := false
	for e := err; e != nil; e = errors.Unwrap(e) {
		oe, ok := e.(*net.OpError)
		if !ok {
			continue
		}
		proxy = proxy || oe.Op == "proxyconnect"
		if oe.Addr != nil {
			at = oe.Addr.String()
		}
	}
	what := "nothing listens there"
	if at != "" {
		what = "nothing listens on " + at
	}
	if proxy {
		return "; " + what + ", the proxy from the environment: check HTTPS_PROXY, HTTP_PROXY and NO_PROXY, and that the proxy runs"
	}
	return "; " + what + ": check " + addr + ", and that the server there runs"
}

// statusHint says what to do about a webhook's answer that is not 2xx,
// by its status; empty where the status says nothing a person can act on.
// The endpoints of Slack and Teams answer 404 or 410 for a webhook that
// was removed, 401 or 403 for one disabled, and 400 for a message whose
// shape they do not take.
func statusHint(code int) string {
	switch {
	case code == http.StatusBadRequest || code == http.StatusUnprocessableEntity:
		return "; the endpoint refused the message: check that param format (slack, teams or json) is the one it takes"
	case code == http.StatusUnauthorized || code == http.StatusForbidden:
		return "; the endpoint refused the webhook's credential: it may have been disabled or revoked; make a new webhook and put its URL in the secret param url comes from"
	case code == http.StatusNotFound || code == http.StatusGone:
		return "; no webhook at param url: it may have been removed, or the URL is wrong; check the secret it comes from"
	case code == http.StatusRequestEntityTooLarge:
		return "; the message is too large for the endpoint: shorten param text or fields"
	case code == http.StatusTooManyRequests:
		return "; the endpoint takes messages more slowly than they are sent: send fewer, or give the step a retry: with a delay"
	case code >= 500:
		return "; the endpoint failed on its side: try again later, or give the step a retry:"
	}
	return ""
}

// smtpHint says which params to check when the mail server refused a
// stage of the exchange with a permanent (5xx) answer: the login, the
// sender or the message. A temporary (4xx) answer is the server's own
// state, for a retry to meet.
func smtpHint(err error, stage int) string {
	reply, ok := errors.AsType[*textproto.Error](err)
	if !ok || reply.Code/100 != 5 {
		return ""
	}
	code := strconv.Itoa(reply.Code)
	switch stage {
	case stageLogin:
		return "; the server refused the login (" + code + "): check params username and password, and the secret the password comes from"
	case stageSender:
		return "; the server refused the sender (" + code + "): param from must be an address the server lets this login (or this host) send as"
	case stageMessage:
		return "; the server refused the message (" + code + "): its answer says why (a size limit: shorten param body)"
	}
	return ""
}

// Stages of an SMTP exchange that smtpHint tells apart.
const (
	stageOther = iota
	stageLogin
	stageSender
	stageMessage
)
