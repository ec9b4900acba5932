package policy

import (
	"context"
	"errors"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/arsenal-run/arsenal-run/pkg/ops"
)

func TestLocate(t *testing.T) {
	base := t.TempDir()
	outer, inner := filepath.Join(base, "outer"), filepath.Join(base, "outer", "inner")
	if err := os.MkdirAll(inner, 0o755); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(base, "link")
	if err := os.Symlink(outer, link); err != nil {
		t.Fatal(err)
	}
	ctx := ops.WithCall(context.Background(), &ops.Call{Dir: inner})
	tests := []struct {
		path  string
		roots []string
		want  Place
	}{
		{"x.txt", []string{outer}, Place{Root: outer, Rel: "inner/x.txt", Abs: filepath.Join(inner, "x.txt")}},
		{"x.txt", []string{outer, inner}, Place{Root: inner, Rel: "x.txt", Abs: filepath.Join(inner, "x.txt")}},
		{outer, []string{outer}, Place{Root: outer, Rel: ".", Abs: outer}},
		{"../y", []string{outer}, Place{Root: outer, Rel: "y", Abs: filepath.Join(outer, "y")}},
		{filepath.Join(outer, "z"), []string{link}, Place{Root: link, Rel: "z", Abs: filepath.Join(outer, "z")}},
	}
	for _, tc := range tests {
		got, err := Locate(ctx, tc.path, tc.roots)
		if err != nil {
			t.Errorf("Locate(%q, %v): %v", tc.path, tc.roots, err)
			continue
		}
		if diff := cmp.Diff(tc.want, got); diff != "" {
			t.Errorf("Locate(%q, %v) (-want +got):\n%s", tc.path, tc.roots, diff)
		}
	}
	for _, p := range []string{"../../escape", "/etc/passwd", outer + "-sibling/x"} {
		_, err := Locate(ctx, p, []string{outer})
		if !errors.Is(err, ops.ErrDenied) || !strings.Contains(err.Error(), outer) || !strings.Contains(err.Error(), "add its directory to file_roots of the caller's role in the policy") {
			t.Errorf("Locate(%q): %v, want a denial naming the root and file_roots as the fix", p, err)
		}
	}
}

type refuse struct{ seen []string }

func (r *refuse) AllowDial(host string, ip net.IP) error {
	r.seen = append(r.seen, host+"="+ip.String())
	return errors.New("private network")
}

func TestDialer(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	pol := &refuse{}
	ctx := ops.WithCall(context.Background(), &ops.Call{Scope: pol})
	_, err = DialContext(ctx, net.Dialer{}, "tcp", ln.Addr().String())
	if !errors.Is(err, ops.ErrDenied) || Class(err, ops.ClassExecution) != ops.ClassAuthorization {
		t.Fatalf("dial: %v", err)
	}
	if diff := cmp.Diff([]string{"127.0.0.1=127.0.0.1"}, pol.seen); diff != "" {
		t.Errorf("policy saw (-want +got):\n%s", diff)
	}
	c, err := DialContext(context.Background(), net.Dialer{}, "tcp", ln.Addr().String())
	if err != nil {
		t.Fatalf("dial without a policy: %v", err)
	}
	c.Close()
}

func TestReached(t *testing.T) {
	for _, tc := range []struct{ network, address, want string }{
		{"tcp4", "0.0.0.0:80", "127.0.0.1"},
		{"tcp6", "[::]:80", "::1"},
		{"tcp6", "[0:0::0]:80", "::1"},
		{"tcp4", "[::ffff:0.0.0.0]:80", "127.0.0.1"},
		{"tcp4", ":80", "127.0.0.1"},
		{"tcp6", ":80", "::1"},
		{"tcp", ":80", "127.0.0.1"},
		{"tcp4", "10.1.2.3:80", "10.1.2.3"},
		{"tcp6", "[2001:db8::1]:443", "2001:db8::1"},
		{"tcp4", "127.0.0.1:80", "127.0.0.1"},
		{"tcp6", "[fe80::1%lo]:80", "<nil>"},
	} {
		if got := Reached(tc.network, tc.address).String(); got != tc.want {
			t.Errorf("Reached(%s, %s) = %s, want %s", tc.network, tc.address, got, tc.want)
		}
	}
}

// naive refuses loopback addresses by looking only at the IP it is given,
// as a scope does.
type naive struct{ seen []string }

func (n *naive) AllowDial(host string, ip net.IP) error {
	n.seen = append(n.seen, host+"="+ip.String())
	if ip.IsLoopback() {
		return errors.New("loopback addresses are denied")
	}
	return nil
}

// TestDialerUnspecifiedIsLoopback dials a real listener on loopback
// through the unspecified addresses, which on Linux reach it: the policy
// must see a loopback address, not 0.0.0.0 or ::.
func TestDialerUnspecifiedIsLoopback(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	_, port, _ := net.SplitHostPort(ln.Addr().String())
	for _, host := range []string{"0.0.0.0", "::", "::ffff:0.0.0.0", ""} {
		addr := net.JoinHostPort(host, port)
		// Without a policy the address does reach the listener.
		c, err := DialContext(context.Background(), net.Dialer{}, "tcp", addr)
		if err != nil {
			t.Fatalf("dial %s without a policy: %v", addr, err)
		}
		c.Close()
		pol := &naive{}
		ctx := ops.WithCall(context.Background(), &ops.Call{Scope: pol})
		c, err = DialContext(ctx, net.Dialer{}, "tcp", addr)
		if err == nil {
			c.Close()
			t.Errorf("dial %s: connected, want it refused as loopback (policy saw %v)", addr, pol.seen)
			continue
		}
		if !errors.Is(err, ops.ErrDenied) || !strings.Contains(err.Error(), "loopback") {
			t.Errorf("dial %s: %v, want a loopback denial", addr, err)
		}
		for _, s := range pol.seen {
			if !strings.HasSuffix(s, "=127.0.0.1") && !strings.HasSuffix(s, "=::1") {
				t.Errorf("dial %s: the policy saw %s, want a loopback address", addr, s)
			}
		}
	}
}

func TestClassifyNamesWhereARelativePathWasLooked(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "books")
	inBook := ops.WithCall(context.Background(), &ops.Call{Dir: dir})
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	notExist := &os.PathError{Op: "statat", Path: "app.log", Err: fs.ErrNotExist}
	tests := []struct {
		name string
		ctx  context.Context
		err  error
		path string
		want string
	}{
		{"relative, missing", inBook, notExist, "app.log",
			"app.log does not exist (relative paths resolve against the playbook's directory: looked for " + filepath.Join(dir, "app.log") + ")"},
		{"relative, refused by the file system", inBook, &os.PathError{Op: "openat", Path: "app.log", Err: fs.ErrPermission}, "logs/../app.log",
			"logs/../app.log: permission denied by the file system (relative paths resolve against the playbook's directory: looked for " + filepath.Join(dir, "app.log") + ")"},
		{"relative, another error", inBook, &os.PathError{Op: "openat", Path: "app.log", Err: syscall.ENOTDIR}, "app.log/x",
			"app.log/x: not a directory (relative paths resolve against the playbook's directory: looked for " + filepath.Join(dir, "app.log", "x") + ")"},
		{"relative, outside a run", context.Background(), notExist, "app.log",
			"app.log does not exist (relative paths resolve against the working directory: looked for " + filepath.Join(wd, "app.log") + ")"},
		{"absolute", inBook, notExist, "/srv/app.log", "/srv/app.log does not exist"},
		{"absolute, refused by the file system", inBook, fs.ErrPermission, "/srv/app.log", "/srv/app.log: permission denied by the file system"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := Classify(tc.ctx, tc.err, tc.path, nil)
			if got := ops.ClassOf(err); got != ops.ClassExecution {
				t.Errorf("class %q, want %q", got, ops.ClassExecution)
			}
			if diff := cmp.Diff(tc.want, err.Error()); diff != "" {
				t.Errorf("message (-want +got):\n%s", diff)
			}
		})
	}
}

// TestReadFileThroughASymlinkSaysSo: a file inside the roots that is a
// symlink to one outside is refused as leading out of them, not as being
// outside them, which would send the reader to a path that is inside.
func TestReadFileThroughASymlinkSaysSo(t *testing.T) {
	dir := t.TempDir()
	if err := os.Symlink("/etc/hostname", filepath.Join(dir, "evil.yaml")); err != nil {
		t.Fatal(err)
	}
	ctx := ops.WithCall(context.Background(), &ops.Call{Dir: dir})
	_, err := ReadFile(ctx, "evil.yaml", []string{dir}, 1<<20)
	if !errors.Is(err, ops.ErrDenied) || !strings.Contains(err.Error(), "leads through a symlink or .. outside the allowed file roots") {
		t.Errorf("ReadFile through a symlink out of the roots: %v", err)
	}
}
