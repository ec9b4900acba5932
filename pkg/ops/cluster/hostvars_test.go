package cluster

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/arsenal-run/arsenal-run/pkg/ops"
	"github.com/arsenal-run/arsenal-run/pkg/ops/internal/opstest"
)

// TestHostVarsThatLookLikeCredentialsAreNoLabels checks that the vars of
// an inventory's hosts whose names look like credentials (from the
// defaults, a group or the host) are not made labels: labels are in the
// output of both ops, and so in every report, audit line and answer of the
// server's cluster endpoints. The other vars still label the nodes, and a
// selector naming a left-out var says why nothing matches.
func TestHostVarsThatLookLikeCredentialsAreNoLabels(t *testing.T) {
	r := newRegistry(t)
	dir := t.TempDir()
	ctx := ops.WithCall(context.Background(), &ops.Call{Dir: dir})
	inv := fmt.Sprintf(`version: 1
defaults: {vars: {env: prod, db_password: pw-defaults}}
hosts:
  web-1: {address: 127.0.0.1, health_url: %q, vars: {role: web, api_token: tok-host, sshKey: key-host}}
groups:
  web:
    members: [web-1]
    vars: {region: eu, vault_secret: secret-group}
`, server(t, ok).URL)
	if err := os.WriteFile(filepath.Join(dir, "inventory.yaml"), []byte(inv), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, op := range []string{"cluster.health", "cluster.topology"} {
		out, err := opstest.Execute(r, ctx, op, map[string]any{"inventory": "inventory.yaml", "selector": map[string]any{"role": "web"}})
		if err != nil {
			t.Fatalf("%s: %v", op, err)
		}
		labels := out["nodes"].([]any)[0].(map[string]any)["labels"]
		if diff := cmp.Diff(map[string]any{"env": "prod", "role": "web", "region": "eu"}, labels); diff != "" {
			t.Errorf("%s: labels (-want +got):\n%s", op, diff)
		}
		b, _ := json.Marshal(out)
		for _, secret := range []string{"pw-defaults", "tok-host", "key-host", "secret-group"} {
			if strings.Contains(string(b), secret) {
				t.Errorf("%s: the output shows the var value %q: %s", op, secret, b)
			}
		}
	}
	_, err := opstest.Execute(r, ctx, "cluster.health", map[string]any{"inventory": "inventory.yaml", "selector": map[string]any{"api_token": "tok-host"}})
	if err == nil || !strings.Contains(err.Error(), `looks like a credential, such as "api_token", is not a label`) {
		t.Errorf("a selector on a credential var: %v", err)
	}
}
