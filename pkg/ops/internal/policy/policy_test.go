package policy

import (
	"context"
	"errors"
	"net"
	"os"
	"path/filepath"
	"strings"
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
		{"x.txt", []string{outer}, Place{outer, "inner/x.txt", filepath.Join(inner, "x.txt")}},
		{"x.txt", []string{outer, inner}, Place{inner, "x.txt", filepath.Join(inner, "x.txt")}},
		{outer, []string{outer}, Place{outer, ".", outer}},
		{"../y", []string{outer}, Place{outer, "y", filepath.Join(outer, "y")}},
		{filepath.Join(outer, "z"), []string{link}, Place{link, "z", filepath.Join(outer, "z")}},
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
