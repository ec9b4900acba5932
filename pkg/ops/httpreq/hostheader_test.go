package httpreq

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"

	"github.com/arsenal-run/arsenal-run/pkg/ops"
	"github.com/arsenal-run/arsenal-run/pkg/ops/internal/opstest"
)

// ruled is a fake scope that says whether it restricts the network.
type ruled struct{ restricts bool }

func (ruled) AllowDial(string, net.IP) error { return nil }
func (r ruled) RestrictsNetwork() bool       { return r.restricts }

// TestHostHeaderUnderRules: under http rules a Host header may not pick
// another virtual host than the URL's, which the rules judged; the same
// host (another spelling, a port) is fine, and so is any without rules.
func TestHostHeaderUnderRules(t *testing.T) {
	s := server(t, func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, r.Host) })
	r := newRegistry(t)
	rules := ops.WithCall(context.Background(), &ops.Call{Scope: ruled{true}})
	_, err := opstest.Execute(r, rules, "http.request", map[string]any{"url": s.URL + "/admin", "headers": map[string]any{"Host": "admin.internal.example"}})
	if !errors.Is(err, ops.ErrDenied) || ops.ClassOf(err) != ops.ClassAuthorization || !strings.Contains(err.Error(), "admin.internal.example") {
		t.Fatalf("another virtual host: %v (class %s)", err, ops.ClassOf(err))
	}
	for _, same := range []string{"127.0.0.1", "127.0.0.1:80", "[::ffff:127.0.0.1]"} {
		if _, err := opstest.Execute(r, rules, "http.request", map[string]any{"url": s.URL, "headers": map[string]any{"host": same}}); err != nil {
			t.Errorf("Host %s: %v", same, err)
		}
	}
	free := ops.WithCall(context.Background(), &ops.Call{Scope: ruled{false}})
	out, err := opstest.Execute(r, free, "http.request", map[string]any{"url": s.URL, "headers": map[string]any{"Host": "admin.internal.example"}})
	if err != nil || !strings.Contains(out["body"].(string), "admin.internal.example") {
		t.Errorf("without rules: %v %v", out, err)
	}
}

// TestProxyWithoutRules: a scope without http rules gets the shared pool,
// which uses the environment's proxy as a run without a policy does; one
// with rules gets a pool of its own without one.
func TestProxyWithoutRules(t *testing.T) {
	op := &Request{}
	free := ops.WithCall(context.Background(), &ops.Call{Scope: ruled{false}})
	tr, done := op.transportFor(free, false)
	done()
	if tr.Proxy == nil {
		t.Error("without rules: no proxy")
	}
	rules := ops.WithCall(context.Background(), &ops.Call{Scope: ruled{true}})
	tr2, done := op.transportFor(rules, false)
	done()
	if tr2.Proxy != nil || tr2 == tr {
		t.Error("under rules: the shared pool, or a proxy")
	}
	op.Close()
}

// namer is a fake scope with rules that deny one name by name.
type namer struct{ ruled }

func (namer) AllowName(host string) error {
	if host == "admin.internal.example" {
		return errors.New("host admin.internal.example is denied by \"*.internal.example\"")
	}
	return nil
}

// TestNameDeniedBeforeItIsResolved: a name the rules deny by name is
// denied (authorization), not looked up and failed (execution).
func TestNameDeniedBeforeItIsResolved(t *testing.T) {
	r := newRegistry(t)
	ctx := ops.WithCall(context.Background(), &ops.Call{Scope: namer{ruled{true}}})
	_, err := opstest.Execute(r, ctx, "http.request", map[string]any{"url": "http://admin.internal.example:18080/"})
	if !errors.Is(err, ops.ErrDenied) || ops.ClassOf(err) != ops.ClassAuthorization || strings.Contains(err.Error(), "lookup") {
		t.Fatalf("%v (class %s)", err, ops.ClassOf(err))
	}
}
