package cli

import (
	"net"
	"os"
	"strings"
	"syscall"
	"testing"
)

// TestServeBusyListenSaysWhatToDo: serve that cannot listen says why and
// what to do, as schedule does, instead of the bare bind error.
func TestServeBusyListenSaysWhatToDo(t *testing.T) {
	f := newServeFixture(t)
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	runWithin(t, "serve", "--keys", f.keys, "--state-dir", f.state, "--playbooks", f.playbooks, "--listen", busy.Addr().String()).
		want(t, ExitFailed, nil, []string{"--listen " + busy.Addr().String(), "another process listens there: stop it or choose another port; nothing was served"})
}

// TestListenErrorPrivilegedPort: a port below the first unprivileged one,
// refused to a user who is not root, is said to be that, with the ways
// out; not "free the port", which is not the matter.
func TestListenErrorPrivilegedPort(t *testing.T) {
	err := &net.OpError{Op: "listen", Net: "tcp", Err: os.NewSyscallError("bind", syscall.EACCES)}
	got := listenError("127.0.0.1:80", err)
	for _, want := range []string{"--listen 127.0.0.1:80: listen tcp: bind: permission denied", "need root or the CAP_NET_BIND_SERVICE capability", "choose a port of", "setcap cap_net_bind_service=+ep"} {
		if !strings.Contains(got, want) {
			t.Errorf("listenError = %q; want it to hold %q", got, want)
		}
	}
	if strings.Contains(got, "another process") {
		t.Errorf("listenError = %q; a refused port is not one in use", got)
	}
}

// TestListenErrorUnknownHost: a host name that does not resolve says what
// to give instead, not only DNS's "no such host".
func TestListenErrorUnknownHost(t *testing.T) {
	err := &net.OpError{Op: "listen", Net: "tcp", Err: &net.DNSError{Err: "no such host", Name: "nohost.invalid", IsNotFound: true}}
	got := listenError("nohost.invalid:80", err)
	for _, want := range []string{"--listen nohost.invalid:80: listen tcp: lookup nohost.invalid: no such host", "give one of its IP addresses, 0.0.0.0 for every interface, or a bare port for loopback"} {
		if !strings.Contains(got, want) {
			t.Errorf("listenError = %q; want it to hold %q", got, want)
		}
	}
}
