package cli

import (
	"encoding/pem"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
)

// TestRemoteSaysWhatToCheckWithoutAnAnswer: a request that got no answer
// of the server says what to check, naming where the URL came from:
// nothing listening, a scheme the server does not speak (either way, a
// usage error: trying again will not help), a certificate not trusted or
// not for the name given, a proxy on the way (read from the environment
// as the rest of the command's settings are).
func TestRemoteSaysWhatToCheckWithoutAnAnswer(t *testing.T) {
	ok := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, `{"runs":[]}`)
	})
	plain := httptest.NewServer(ok)
	defer plain.Close()
	tlsSrv := httptest.NewTLSServer(ok)
	defer tlsSrv.Close()
	ca := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(ca, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: tlsSrv.Certificate().Raw}), 0o600); err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := ln.Addr().String()
	ln.Close()
	tlsHost := strings.TrimPrefix(tlsSrv.URL, "https://")
	_, tlsPort, _ := net.SplitHostPort(tlsHost)
	plainHost := strings.TrimPrefix(plain.URL, "http://")

	key := map[string]string{"ARSENAL_API_KEY": "ak_test"}
	runEnv(t, map[string]string{"ARSENAL_SERVER": "http://" + closed}, "remote", "runs").
		want(t, ExitFailed, nil, []string{"nothing accepts connections at " + closed + ": check that serve runs there and that $ARSENAL_SERVER names its --listen address and port"})
	runEnv(t, key, "remote", "--server", "https://"+plainHost, "runs").
		want(t, ExitUsage, nil, []string{plainHost + " speaks plain HTTP, not HTTPS: give --server http://" + plainHost})
	runEnv(t, key, "remote", "--server", "http://"+tlsHost, "runs").
		want(t, ExitUsage, nil, []string{tlsHost + " speaks HTTPS, not plain HTTP: give --server https://" + tlsHost})
	runEnv(t, key, "remote", "--server", tlsSrv.URL, "runs").
		want(t, ExitFailed, nil, []string{"not signed by a CA this machine trusts: give --ca FILE"})
	runEnv(t, key, "remote", "--server", "https://localhost:"+tlsPort, "--ca", ca, "runs").
		want(t, ExitFailed, nil, []string{"the server's certificate is not for localhost: give --server with a name the certificate holds"})
	runEnv(t, key, "remote", "--server", tlsSrv.URL, "--ca", ca, "runs").
		want(t, ExitOK, []string{"no runs recorded"}, nil)

	proxied := map[string]string{"ARSENAL_API_KEY": "ak_test", "https_proxy": "http://user:secret@" + closed}
	r := runEnv(t, proxied, "remote", "--server", "https://runner.example:8443", "runs")
	r.want(t, ExitFailed, nil, []string{"the request went through the proxy http://user:xxxxx@" + closed + " (from $HTTPS_PROXY)", "add runner.example to $NO_PROXY"})
	if strings.Contains(r.stderr, "secret") {
		t.Errorf("the proxy's password is shown:\n%s", r.stderr)
	}
}

// TestRemoteRefusesAServerURLOrArgumentItCannotUse: a server URL without
// its scheme, with a query, a fragment or a password, and an empty
// argument (an unset shell variable) are usage errors before any
// request, naming where the URL came from and what to give; each would
// otherwise reach another endpoint or show the password.
func TestRemoteRefusesAServerURLOrArgumentItCannotUse(t *testing.T) {
	var requests atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		requests.Add(1)
		http.Redirect(w, r, "/elsewhere", http.StatusTemporaryRedirect)
	}))
	defer srv.Close()
	host := strings.TrimPrefix(srv.URL, "http://")
	key := map[string]string{"ARSENAL_API_KEY": "ak_test"}
	runEnv(t, map[string]string{"ARSENAL_SERVER": host}, "remote", "runs").
		want(t, ExitUsage, nil, []string{`$ARSENAL_SERVER "` + host + `": give an http:// or https:// URL, like https://` + host})
	runEnv(t, key, "remote", "--server", srv.URL+"/?tenant=a", "runs").
		want(t, ExitUsage, nil, []string{"without ?query or #fragment"})
	runEnv(t, key, "remote", "--server", srv.URL+"#x", "runs").
		want(t, ExitUsage, nil, []string{"without ?query or #fragment"})
	r := runEnv(t, key, "remote", "--server", "http://ops:hunter2@"+host, "runs")
	r.want(t, ExitUsage, nil, []string{"--server: leave the user and password out of the URL"})
	if strings.Contains(r.stderr, "hunter2") {
		t.Errorf("the password is shown:\n%s", r.stderr)
	}
	// Without a scheme, the user and password are not quoted either.
	r = runEnv(t, key, "remote", "--server", "ops:hunter2@"+host, "runs")
	r.want(t, ExitUsage, nil, []string{"--server: give an http:// or https:// URL, without a user and password"})
	if strings.Contains(r.stderr, "hunter2") {
		t.Errorf("the password is shown:\n%s", r.stderr)
	}
	// Nor when a character of the password (#, %, ?, a space) keeps the
	// URL from parsing.
	for _, server := range []string{"http://ops:hun#ter2@" + host, "http://ops:hun%zzter2@" + host, "https://ops:hun?ter2@" + host, "http://ops:hun ter2@" + host} {
		r = runEnv(t, key, "remote", "--server", server, "runs")
		r.want(t, ExitUsage, nil, []string{"--server: give an http:// or https:// URL, without a user and password"})
		if strings.Contains(r.stderr, "ter2") {
			t.Errorf("the password of %s is shown:\n%s", server, r.stderr)
		}
	}
	for sub, want := range map[string]string{
		"cancel": "cancel: the run id is empty; give the id of the run, as 'arsenal-run remote runs' lists it",
		"run":    "run: the playbook's name is empty",
		"exec":   "exec: the operation's name is empty",
	} {
		runEnv(t, key, "remote", "--server", srv.URL, sub, "").want(t, ExitUsage, nil, []string{want})
	}
	if n := requests.Load(); n != 0 {
		t.Errorf("%d requests sent", n)
	}
}

// TestRemoteRefusesAFlagOfAnotherSubcommand: a flag the subcommand does
// not read is a usage error before any request, naming the subcommand it
// is for: an exec's --dry-run would otherwise execute for real, and a
// run's --param start the run with the input's default.
func TestRemoteRefusesAFlagOfAnotherSubcommand(t *testing.T) {
	var requests atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		requests.Add(1)
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, `{"result":{}}`)
	}))
	defer srv.Close()
	env := map[string]string{"ARSENAL_SERVER": srv.URL, "ARSENAL_API_KEY": "ak_test"}
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"exec", "file.write", "--param", "path=/tmp/x", "--dry-run"}, "--dry-run is for run, not exec: an execute has no dry run, so nothing was sent"},
		{[]string{"exec", "control.noop", "--input", "a=1"}, "--input is for run, not exec: give an operation's params with --param k=v"},
		{[]string{"run", "deploy", "--param", "force=true"}, "--param is for exec, not run: give a playbook's inputs with --input k=v"},
		{[]string{"run", "deploy", "--timeout", "5m"}, "--timeout is for exec, not run"},
		{[]string{"run", "deploy", "--status", "failed"}, "--status is for runs, not run"},
		{[]string{"runs", "--follow"}, "--follow is for run, not runs"},
		{[]string{"cancel", "r1", "--yes"}, "--yes is for run, not cancel"},
		{[]string{"ops", "list", "--limit", "3"}, "--limit is for runs, not ops list"},
	} {
		runEnv(t, env, append([]string{"remote"}, c.args...)...).want(t, ExitUsage, nil, []string{c.want})
	}
	if n := requests.Load(); n != 0 {
		t.Errorf("%d requests sent", n)
	}
}

// TestRemoteSaysToDropTheAPIPathFromServer: a --server with the API's own
// path (/api/v1) or the console's gets 404 for every request, each path
// added to it; the answer says to give the server's base URL. A 404 of
// the API itself (an unknown category) gets no such advice.
func TestRemoteSaysToDropTheAPIPathFromServer(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusNotFound)
		msg := "no endpoint GET " + r.URL.Path + "; GET /api/v1/openapi.json lists them"
		if r.URL.Path == "/api/v1/operations/nope" {
			msg = `no operations in category "nope"`
		}
		fmt.Fprintf(w, `{"error": {"class": "not_found", "message": %q}}`, msg)
	}))
	defer srv.Close()
	key := map[string]string{"ARSENAL_API_KEY": "ak_test"}
	runEnv(t, key, "remote", "--server", srv.URL+"/api/v1", "runs").
		want(t, ExitUsage, nil, []string{"--server has the path /api/v1, which every request's path is added to: give --server " + srv.URL + ","})
	r := runEnv(t, key, "remote", "--server", srv.URL, "ops", "list", "--category", "nope")
	r.want(t, ExitUsage, nil, []string{`no operations in category "nope"`})
	if strings.Contains(r.stderr, "has the path") {
		t.Errorf("a 404 of the API itself got the path advice:\n%s", r.stderr)
	}
}
