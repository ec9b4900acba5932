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
		want(t, ExitOK, []string{"RUN"}, nil)

	proxied := map[string]string{"ARSENAL_API_KEY": "ak_test", "https_proxy": "http://user:secret@" + closed}
	r := runEnv(t, proxied, "remote", "--server", "https://runner.example:8443", "runs")
	r.want(t, ExitFailed, nil, []string{"the request went through the proxy http://user:xxxxx@" + closed + " (from $HTTPS_PROXY)", "add runner.example to $NO_PROXY"})
	if strings.Contains(r.stderr, "secret") {
		t.Errorf("the proxy's password is shown:\n%s", r.stderr)
	}
}
