package cli

import (
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// TestRemoteSaysWhatElseAnswered: an answer that is not the server's
// says what it is and what to check, in a line, instead of a page of
// HTML or a JSON decoding error: a redirect (not followed) names the URL
// to give --server, which is a usage error; a proxy's error page and
// another program's page say that they are not arsenal-run's.
func TestRemoteSaysWhatElseAnswered(t *testing.T) {
	page := "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n"
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case strings.HasPrefix(r.URL.Path, "/moved/"):
			w.Header().Set("Location", "https://runner.example:8443/ops/"+strings.TrimPrefix(r.URL.Path, "/moved/"))
			w.WriteHeader(http.StatusMovedPermanently)
		case strings.HasPrefix(r.URL.Path, "/sso/"):
			w.Header().Set("Location", "https://admin:hunter2@sso.example/login?session=s3cr3t#code=c0de")
			w.WriteHeader(http.StatusFound)
		case strings.HasPrefix(r.URL.Path, "/gateway/"):
			w.Header().Set("Content-Type", "text/html")
			w.WriteHeader(http.StatusBadGateway)
			fmt.Fprint(w, page)
		default:
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			fmt.Fprint(w, "<!doctype html><html><head><title>Grafana</title></head><body>\n\n</body></html>")
		}
	}))
	defer srv.Close()
	key := map[string]string{"ARSENAL_API_KEY": "ak_test"}
	runEnv(t, key, "remote", "--server", srv.URL+"/moved", "runs").
		want(t, ExitUsage, nil, []string{`the answer is a redirect to "https://runner.example:8443/ops/api/v1/runs", which is not followed, so that the key goes only to --server: give --server https://runner.example:8443/ops`})
	// A sign-in page's Location is quoted without its password, query
	// and fragment, which a CI job's log must not keep.
	r := runEnv(t, key, "remote", "--server", srv.URL+"/sso", "runs")
	r.want(t, ExitUsage, nil, []string{`the answer is a redirect to "https://admin:xxxxx@sso.example/login?…"`})
	for _, secret := range []string{"hunter2", "s3cr3t", "c0de"} {
		if strings.Contains(r.stderr, secret) {
			t.Errorf("the redirect's %s is printed:\n%s", secret, r.stderr)
		}
	}
	r = runEnv(t, key, "remote", "--server", srv.URL+"/gateway", "run", "deploy", "--follow")
	r.want(t, ExitFailed, nil, []string{`502 not arsenal-run: the answer is not arsenal-run's (text/html: "502 Bad Gateway"): check that --server is the URL of arsenal-run serve`})
	if strings.Contains(r.stderr, "<") {
		t.Errorf("the page is printed:\n%s", r.stderr)
	}
	runEnv(t, map[string]string{"ARSENAL_API_KEY": "ak_test", "ARSENAL_SERVER": srv.URL}, "remote", "runs").
		want(t, ExitFailed, nil, []string{`the answer is not arsenal-run's (text/html: "Grafana"): check that $ARSENAL_SERVER is the URL of arsenal-run serve`})
}

// TestRemoteDenialSaysItsRuleOnce: a denial whose message is its rule, as
// the server's denial of an op is, says it once; one whose message is
// another text names the rule after it.
func TestRemoteDenialSaysItsRuleOnce(t *testing.T) {
	rule := "no rule of role viewer allows file.write (risk write)"
	same := &apiError{status: 403, Class: "authorization", Msg: rule, Rule: rule}
	if got, want := same.Error(), "403 authorization: "+rule; got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
	other := &apiError{status: 403, Class: "authorization", Msg: "authorization denied step check (shell.exec); nothing ran", Rule: rule}
	if got, want := other.Error(), "403 authorization: authorization denied step check (shell.exec); nothing ran (rule: "+rule+")"; got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
}

// TestRemoteErrorIsCleaned: what a server sends in its error (a message,
// a class, a rule, a field) reaches the terminal without the controls
// in it, which could clear the screen or retitle the window.
func TestRemoteErrorIsCleaned(t *testing.T) {
	e := &apiError{status: 400, Class: "inv\x1b[2Jalid", Msg: "bad\x1b]0;owned\x07 input", Field: "x\x1b[31m", Rule: "r\u009b2J"}
	got := e.Error()
	if strings.ContainsAny(got, "\x1b\x07\u009b") {
		t.Errorf("controls left in %q", got)
	}
	if want := "400 invalid: bad input (field x) (rule: r)"; got != want {
		t.Errorf("got  %q\nwant %q", got, want)
	}
}

// TestRemoteHidesATokenGivenAsAUserName: a redirect's Location and a
// proxy's URL that carry a token as the user name alone
// (https://TOKEN@host), which url.Redacted shows, are quoted with xxxxx
// in its place.
func TestRemoteHidesATokenGivenAsAUserName(t *testing.T) {
	const token = "ghp_t0ken"
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Location", "https://"+token+"@sso.example/login")
		w.WriteHeader(http.StatusFound)
	}))
	defer srv.Close()
	key := map[string]string{"ARSENAL_API_KEY": "ak_test"}
	r := runEnv(t, key, "remote", "--server", srv.URL, "runs")
	r.want(t, ExitUsage, nil, []string{`the answer is a redirect to "https://xxxxx@sso.example/login"`})
	if strings.Contains(r.stderr, token) {
		t.Errorf("the redirect's token is printed:\n%s", r.stderr)
	}

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := ln.Addr().String()
	ln.Close()
	proxied := map[string]string{"ARSENAL_API_KEY": "ak_test", "https_proxy": "http://" + token + "@" + closed}
	r = runEnv(t, proxied, "remote", "--server", "https://runner.example:8443", "runs")
	r.want(t, ExitFailed, nil, []string{"the request went through the proxy http://xxxxx@" + closed + " (from $HTTPS_PROXY)"})
	if strings.Contains(r.stderr, token) {
		t.Errorf("the proxy's token is printed:\n%s", r.stderr)
	}
}
