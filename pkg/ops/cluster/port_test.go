package cluster

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/arsenal-run/arsenal-run/pkg/ops"
	"github.com/arsenal-run/arsenal-run/pkg/ops/internal/opstest"
)

// TestBadPortIsAValidationError checks that a node whose address or URL
// has a port that is not a number from 1 to 65535 is refused when the
// playbook is loaded, when the nodes only arrive at run time, and in an
// inventory file, as a validation error naming the node and the port:
// never probed and reported as a node that is down.
func TestBadPortIsAValidationError(t *testing.T) {
	r := newRegistry(t)
	prober := &Prober{}
	t.Cleanup(func() { prober.Close() })
	impl := map[string]ops.Op{"cluster.health": &Health{prober}, "cluster.topology": &Topology{prober}}
	nodes := []struct {
		node map[string]any
		port string
	}{
		{map[string]any{"name": "a", "address": "127.0.0.1:99999"}, "99999"},
		{map[string]any{"name": "a", "address": "127.0.0.1:0"}, "0"},
		{map[string]any{"name": "a", "address": "127.0.0.1:-1"}, "-1"},
		{map[string]any{"name": "a", "address": "127.0.0.1:ssh"}, "ssh"},
		{map[string]any{"name": "a", "url": "http://127.0.0.1:80800/healthz"}, "80800"},
		{map[string]any{"name": "a", "url": "https://u:pw@127.0.0.1:65536/"}, "65536"},
		{map[string]any{"name": "a", "url": "http://127.0.0.1:abc/"}, `":abc"`},
	}
	for _, name := range []string{"cluster.health", "cluster.topology"} {
		e, err := r.Get(name)
		if err != nil {
			t.Fatal(err)
		}
		for _, tc := range nodes {
			want := []string{"param nodes: ", "a: ", "port " + tc.port + " ", "1 to 65535"}
			raw := map[string]any{"nodes": []any{tc.node}}
			_, err := e.Validate(raw, false)
			opstest.WantValidation(t, name+" loaded", err, want...)
			out, err := opstest.Execute(r, context.Background(), name, raw)
			opstest.WantValidation(t, name+" run", err, want...)
			if out != nil {
				t.Errorf("%s %v: output %v, want none", name, tc.node, out)
			}
			p := ops.Params{"nodes": []any{tc.node}, "timeout": time.Second, "concurrency": 1}
			_, err = impl[name].Execute(context.Background(), p)
			opstest.WantValidation(t, name+" executed", err, want...)
			if err != nil && strings.Contains(err.Error(), "pw") {
				t.Errorf("%s: %v shows the password", name, err)
			}
		}
		// A node address still to be computed is checked at run time only.
		deferred := map[string]any{"nodes": []any{map[string]any{"name": "a", "address": ops.Deferred}}}
		if _, err := e.Validate(deferred, false); err != nil {
			t.Errorf("%s with a deferred address: %v", name, err)
		}
	}

	dir := t.TempDir()
	ctx := ops.WithCall(context.Background(), &ops.Call{Dir: dir})
	// Either kind of inventory file names the line and column, and a
	// nodes file the node.
	for file, tc := range map[string]struct {
		body string
		want []string
	}{
		"nodes.yaml": {"- {name: a, address: \"127.0.0.1:99999\"}\n", []string{"nodes.yaml:1:3: node a: ", "port 99999 ", "1 to 65535"}},
		"hosts.yaml": {"version: 1\nhosts:\n  a: {address: 127.0.0.1, health_url: \"http://127.0.0.1:99999/healthz\"}\n", []string{"hosts.yaml:3:39: ", "port 99999 ", "1 to 65535"}},
	} {
		if err := os.WriteFile(filepath.Join(dir, file), []byte(tc.body), 0o644); err != nil {
			t.Fatal(err)
		}
		out, err := opstest.Execute(r, ctx, "cluster.health", map[string]any{"inventory": file})
		opstest.WantValidation(t, file, err, tc.want...)
		if out != nil {
			t.Errorf("%s: output %v, want none", file, out)
		}
	}
}
