package netcheck

import (
	"context"
	"testing"
	"time"

	"github.com/arsenal-run/arsenal-run/pkg/ops"
	"github.com/arsenal-run/arsenal-run/pkg/ops/internal/opstest"
)

// TestBadPortIsAValidationError checks that an address whose port is not a
// number from 1 to 65535 is refused when the playbook is loaded, and again
// when the value only arrives at run time, as a validation error naming
// the param and the port: never as a closed port that satisfies
// expect: unreachable, nor as an execution error a retry would repeat.
func TestBadPortIsAValidationError(t *testing.T) {
	r := newRegistry(t)
	impl := map[string]ops.Op{"net.tcp_check": &TCPCheck{}, "net.tls_cert": &TLSCert{}}
	for _, name := range []string{"net.tcp_check", "net.tls_cert"} {
		e, err := r.Get(name)
		if err != nil {
			t.Fatal(err)
		}
		for _, tc := range []struct{ addr, port string }{
			{"127.0.0.1:180800", "180800"},
			{"127.0.0.1:65536", "65536"},
			{"127.0.0.1:0", "0"},
			{"127.0.0.1:-1", "-1"},
			{"127.0.0.1:abc", "abc"},
			{"[::1]:+443", "+443"},
		} {
			want := []string{"param address: ", "port " + tc.port + " ", "1 to 65535"}
			raw := map[string]any{"address": tc.addr}
			if name == "net.tcp_check" {
				raw["expect"] = "unreachable"
			}
			// Loaded with the address literal.
			_, err := e.Validate(raw, false)
			opstest.WantValidation(t, name+" loaded", err, want...)
			// Validated at run time, after interpolation.
			out, err := opstest.Execute(r, context.Background(), name, raw)
			opstest.WantValidation(t, name+" run", err, want...)
			if out != nil {
				t.Errorf("%s %s: output %v, want none", name, tc.addr, out)
			}
			// Executed without that validation: the op checks again.
			p := ops.Params{"address": tc.addr, "timeout": time.Second, "expect": "unreachable"}
			_, err = impl[name].Execute(context.Background(), p)
			opstest.WantValidation(t, name+" executed", err, want...)
		}
		// An address still to be computed is checked at run time only.
		if _, err := e.Validate(map[string]any{"address": ops.Deferred}, false); err != nil {
			t.Errorf("%s with a deferred address: %v", name, err)
		}
		for _, addr := range []string{"127.0.0.1:1", "127.0.0.1:65535", "[::1]:443", "db.internal:05432"} {
			if _, err := e.Validate(map[string]any{"address": addr}, true); err != nil {
				t.Errorf("%s %s: %v", name, addr, err)
			}
		}
	}
	// net.tls_cert takes a bare host for port 443.
	e, _ := r.Get("net.tls_cert")
	if _, err := e.Validate(map[string]any{"address": "example.com"}, true); err != nil {
		t.Errorf("net.tls_cert with a bare host: %v", err)
	}
}
