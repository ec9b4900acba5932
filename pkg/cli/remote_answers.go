package cli

import (
	"encoding/json"
	"fmt"
	"html"
	"mime"
	"net/http"
	"net/url"
	"regexp"
	"strings"

	"github.com/arsenal-run/arsenal-run/internal/termtext"
)

// This file reads the answers of the remote client that are not what
// arsenal-run's server sends: a redirect (of a proxy that sends http://
// to https://, say), a proxy's error page, another program at the
// address of --server. Each says what it is and what to check, instead of
// a page of HTML or a JSON decoding error.

// Classes of the errors of answers that are not the server's own.
const (
	classRedirect = "redirect"
	classForeign  = "not arsenal-run"
)

// answerError is the error of an answer other than the one asked for, data its
// body: the server's own error, or one that says what else answered.
func (r *remote) answerError(res *http.Response, data []byte) *apiError {
	var eb struct {
		Error *apiError `json:"error"`
	}
	if json.Unmarshal(data, &eb) == nil && eb.Error != nil {
		eb.Error.status = res.StatusCode
		return eb.Error
	}
	if res.StatusCode >= 300 && res.StatusCode < 400 {
		loc := shownLocation(res.Header.Get("Location"))
		msg := fmt.Sprintf("the answer is a redirect to %q, which is not followed, so that the key goes only to %s", loc, r.serverFrom())
		if loc == "" {
			msg = fmt.Sprintf("the answer is a redirect, which is not followed, so that the key goes only to %s", r.serverFrom())
		}
		if base := r.redirectBase(res); base != "" {
			msg += fmt.Sprintf(": give %s %s", r.serverFrom(), base)
		}
		return &apiError{status: res.StatusCode, Class: classRedirect, Msg: msg}
	}
	if text := strings.TrimSpace(string(data)); strings.Contains(text, "HTTP request to an HTTPS server") {
		// Go's answer to plain HTTP at a TLS port; httpsOnly tells it.
		return &apiError{status: res.StatusCode, Class: "internal", Msg: text}
	}
	return &apiError{status: res.StatusCode, Class: classForeign, Msg: r.foreign(res, summary(res, data))}
}

// shownLocation is a redirect's Location as a message may quote it: a
// sign-in page's may carry a password or a token, in its user part or
// its query, which a CI job's log must not keep, so they are left out.
func shownLocation(loc string) string {
	u, err := url.Parse(loc)
	if err != nil {
		return "" // not quoted at all: the message says "a redirect"
	}
	if u.RawQuery != "" {
		u.RawQuery = "…"
	}
	u.Fragment, u.RawFragment = "", ""
	return termtext.Line(shownURL(u))
}

// shownURL is u as a message may quote it: a password is replaced by
// xxxxx, as url.Redacted does, and so is a user name given alone, which
// url.Redacted shows: a token is as often written so
// (https://TOKEN@host).
func shownURL(u *url.URL) string {
	if u.User == nil {
		return u.String()
	}
	if _, ok := u.User.Password(); ok {
		return u.Redacted()
	}
	c := *u
	c.User = url.User("xxxxx")
	return c.String()
}

// foreign says that an answer is not the server's, what holds instead.
func (r *remote) foreign(res *http.Response, what string) string {
	msg := "the answer is not arsenal-run's"
	if what != "" {
		msg += fmt.Sprintf(" (%s)", what)
	}
	msg += fmt.Sprintf(": check that %s is the URL of arsenal-run serve, and that serve runs behind any proxy in front of it", r.serverFrom())
	if u, ok := r.proxied.Load().(*url.URL); ok && u != nil {
		msg += fmt.Sprintf("; the request went through the proxy %s: add %s to $NO_PROXY to connect directly", termtext.Line(shownURL(u)), r.base.Hostname())
	}
	return msg
}

// redirectBase is the URL to give --server that a redirect points to:
// its Location without the path asked for. It is empty when that is
// not clear, or the same URL.
func (r *remote) redirectBase(res *http.Response) string {
	if res.Request == nil {
		return ""
	}
	loc, err := res.Location()
	if err != nil || (loc.Scheme != "http" && loc.Scheme != "https") {
		return ""
	}
	asked := strings.TrimPrefix(res.Request.URL.Path, r.base.Path)
	if !strings.HasSuffix(loc.Path, asked) {
		return ""
	}
	base := &url.URL{Scheme: loc.Scheme, Host: loc.Host, Path: strings.TrimSuffix(loc.Path, asked)}
	if base.String() == r.base.String() {
		return ""
	}
	return termtext.Line(base.String())
}

// titleRE finds an HTML page's title.
var titleRE = regexp.MustCompile(`(?is)<title[^>]*>(.*?)</title>`)

// summary is what an answer that is not the server's says, in a line: an
// HTML page's title, else its first line of text, with its media type.
func summary(res *http.Response, data []byte) string {
	text := ""
	if m := titleRE.FindSubmatch(data); m != nil {
		text = html.UnescapeString(string(m[1]))
	} else {
		for l := range strings.Lines(string(data)) {
			if l = strings.TrimSpace(l); l != "" {
				text = l
				break
			}
		}
	}
	text = strings.Join(strings.Fields(termtext.Line(text)), " ")
	if r := []rune(text); len(r) > 120 {
		text = string(r[:120]) + "…"
	}
	mt, _, _ := mime.ParseMediaType(res.Header.Get("Content-Type"))
	switch {
	case text != "" && mt != "":
		text = fmt.Sprintf("%s: %q", mt, text)
	case text != "":
		text = fmt.Sprintf("%q", text)
	default:
		text = mt
	}
	return text
}
