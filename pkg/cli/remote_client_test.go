package cli

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
)

// TestRemoteKeyWithSurroundingSpace: a key read from the environment with
// a trailing newline (echo into a CI secret) or spaces around it is sent
// without them.
func TestRemoteKeyWithSurroundingSpace(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		if r.Header.Get("Authorization") != "Bearer ak_test" {
			w.WriteHeader(http.StatusUnauthorized)
			fmt.Fprint(w, `{"error":{"class":"authentication","message":"unknown key"}}`)
			return
		}
		fmt.Fprint(w, `{"operations":[{"name":"control.noop","risk":"read","description":"Does nothing."}]}`)
	}))
	defer srv.Close()
	for _, key := range []string{"ak_test\n", " ak_test\r\n", "\tak_test "} {
		runEnv(t, map[string]string{"ARSENAL_SERVER": srv.URL, "ARSENAL_API_KEY": key}, "remote", "ops", "list").
			want(t, ExitOK, []string{"NAME", "RISK", "DESCRIPTION", "control.noop"}, nil) // the columns of ops list
	}
	// Only white space is no key: named by --key-env, a usage error.
	runEnv(t, map[string]string{"ARSENAL_SERVER": srv.URL, "K": " \n"}, "remote", "--key-env", "K", "ops", "list").
		want(t, ExitUsage, nil, []string{"--key-env K: the variable is unset or empty"})
}

// TestRemoteRefusesTLSFlagsWithPlainHTTP: --ca, --cert or --key with an
// http:// server is a usage error before any request, which would carry
// the key in clear.
func TestRemoteRefusesTLSFlagsWithPlainHTTP(t *testing.T) {
	var requests atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		requests.Add(1)
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, `{"operations":[]}`)
	}))
	defer srv.Close()
	ca, _, _, cc, ck := pemFiles(t, t.TempDir(), "spiffe://fleet/node")
	env := map[string]string{"ARSENAL_API_KEY": "ak_test"}
	runEnv(t, env, "remote", "--server", srv.URL, "--ca", ca, "--cert", cc, "--key", ck, "ops", "list").
		want(t, ExitUsage, nil, []string{"--ca, --cert, --key are for TLS, but --server \"" + srv.URL + "\" is plain HTTP", "give the server's https:// URL"})
	runEnv(t, env, "remote", "--server", srv.URL, "--ca", ca, "ops", "list").
		want(t, ExitUsage, nil, []string{"--ca is for TLS, but --server"})
	if n := requests.Load(); n != 0 {
		t.Errorf("%d requests sent over plain HTTP with TLS flags", n)
	}
}

// TestRemoteWarnsOfAKeyInClear: a key sent over plain HTTP to a host
// that is not this one is warned of, as serve warns of plain HTTP beyond
// loopback. (The exec's bad --param stops it before any request.)
func TestRemoteWarnsOfAKeyInClear(t *testing.T) {
	const warning = "the API key crosses the network in clear"
	for server, warned := range map[string]bool{
		"http://runner.example:8080": true, "http://10.0.0.11:8080": true, "http://[fd00::1]:8080": true,
		"http://127.0.0.1:8080": false, "http://localhost:8080": false, "http://[::1]:8080": false, "http://0.0.0.0:8080": false,
		"https://runner.example:8443": false,
	} {
		r := runEnv(t, map[string]string{"ARSENAL_API_KEY": "ak_test"}, "remote", "--server", server, "exec", "control.noop", "--param", "novalue")
		if r.code != ExitUsage || strings.Contains(r.stderr, warning) != warned {
			t.Errorf("%s: exit %d, warned %v, want %v:\n%s", server, r.code, !warned, warned, r.stderr)
		}
	}
	// Without a key nothing is in clear.
	r := runEnv(t, map[string]string{}, "remote", "--server", "http://runner.example:8080", "exec", "control.noop", "--param", "novalue")
	if strings.Contains(r.stderr, warning) {
		t.Errorf("warned without a key:\n%s", r.stderr)
	}
}

// TestRemoteJudgesTheSubcommandFirst: a mistyped subcommand is the usage
// error told, before a missing server or a warning about plain HTTP.
func TestRemoteJudgesTheSubcommandFirst(t *testing.T) {
	const typo = `unknown or incomplete subcommand "lsit" (did you mean "ops list"?)`
	r := runEnv(t, map[string]string{}, "remote", "lsit")
	r.want(t, ExitUsage, nil, []string{typo})
	if strings.Contains(r.stderr, "give the server") {
		t.Errorf("the missing server is told before the subcommand:\n%s", r.stderr)
	}
	r = runEnv(t, map[string]string{"ARSENAL_API_KEY": "ak_test"}, "remote", "--server", "http://runner.example:8080", "lsit")
	r.want(t, ExitUsage, nil, []string{typo})
	if strings.Contains(r.stderr, "crosses the network in clear") {
		t.Errorf("warned of a server no request was sent to:\n%s", r.stderr)
	}
	runEnv(t, map[string]string{}, "remote").
		want(t, ExitUsage, nil, []string{"give a subcommand: ops list, exec, run, runs or cancel"})
}

// TestRemoteSubcommandWithoutItsArgument: 'remote cancel' without the
// run's id, and the other subcommands missing or given too many words,
// say what they need and where it is found; they were called "unknown or
// incomplete", which reads as a typo of the subcommand.
func TestRemoteSubcommandWithoutItsArgument(t *testing.T) {
	for _, tc := range []struct {
		args []string
		says string
	}{
		{[]string{"cancel"}, "cancel needs the id of the run to cancel: write it as 'remote cancel RUN_ID'; 'remote runs' lists the runs"},
		{[]string{"run"}, "run needs the name: of a served playbook: write it as 'remote run NAME [--input k=v]...'"},
		{[]string{"exec"}, "exec needs the operation to execute: write it as 'remote exec OP [--param k=v]...'; 'remote ops list' lists the operations"},
		{[]string{"run", "deploy", "now"}, "run takes one argument, the name: of a served playbook, and was given 2 (deploy, now)"},
		{[]string{"ops"}, "write it as 'remote ops list'"},
	} {
		res := runMain(t, append([]string{"remote", "--server", "http://127.0.0.1:1"}, tc.args...)...)
		res.want(t, ExitUsage, nil, []string{tc.says})
		if strings.Contains(res.stderr, "unknown") {
			t.Errorf("%q: called unknown:\n%s", tc.args, res.stderr)
		}
	}
}
