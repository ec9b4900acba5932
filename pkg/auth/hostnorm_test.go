package auth

import (
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/arsenal-run/arsenal-run/pkg/ops"
	"github.com/arsenal-run/arsenal-run/pkg/ops/builtin"
	"github.com/arsenal-run/arsenal-run/pkg/steps"
)

// TestHostRulesNormaliseNames: a trailing dot or upper case names the same
// host, for deny and allow lists alike, in the host and in the pattern.
func TestHostRulesNormaliseNames(t *testing.T) {
	reg := ops.NewRegistry()
	if err := builtin.Register(reg, builtin.Options{}); err != nil {
		t.Fatal(err)
	}
	defer reg.Close()
	p, err := ParsePolicy("p.yaml", []byte(`version: 1
roles:
  web:
    max_risk: read
    http:
      deny_hosts: [metadata.internal, "*.corp.example", "Upper.Example."]
  api:
    max_risk: read
    http:
      allow_hosts: [api.example.com, "*.svc.example."]
`), reg)
	if err != nil {
		t.Fatal(err)
	}
	scope := func(role string) *Scope {
		s, err := p.Subject([]string{role}, nil)
		if err != nil {
			t.Fatal(err)
		}
		return s.Scope("http.request", ops.RiskRead)
	}
	ip := net.ParseIP("93.184.216.34")
	web, api := scope("web"), scope("api")
	for _, h := range []string{"metadata.internal.", "METADATA.Internal", "db.corp.example.", "DB.Corp.Example", "upper.example", "upper.example."} {
		if err := web.AllowDial(h, ip); err == nil {
			t.Errorf("deny_hosts let %s through", h)
		}
	}
	if err := web.AllowDial("example.org.", ip); err != nil {
		t.Errorf("example.org.: %v", err)
	}
	for _, h := range []string{"api.example.com.", "API.example.com", "x.svc.example", "x.svc.example."} {
		if err := api.AllowDial(h, ip); err != nil {
			t.Errorf("allow_hosts refused %s: %v", h, err)
		}
	}
	for _, h := range []string{"api.example.com..", "evil.test.", "svc.example."} {
		if err := api.AllowDial(h, ip); err == nil {
			t.Errorf("allow_hosts let %s through", h)
		}
	}
}

// TestCacheNamespaceOfGrant: a granted playbook's cache entries are its
// own, by grant and file; other playbooks, and roles without the grant,
// have none.
func TestCacheNamespaceOfGrant(t *testing.T) {
	reg := ops.NewRegistry()
	if err := builtin.Register(reg, builtin.Options{}); err != nil {
		t.Fatal(err)
	}
	defer reg.Close()
	dir := t.TempDir()
	load := func(name string) *steps.Playbook {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, []byte("version: 1\nname: "+strings.TrimSuffix(name, ".yaml")+"\nsteps:\n  - {id: a, op: control.log, with: {message: hi}}\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		pb, err := steps.Load(path, reg)
		if err != nil {
			t.Fatal(err)
		}
		return pb
	}
	rb, other := load("runbook.yaml"), load("other.yaml")
	p, err := ParsePolicy(filepath.Join(dir, "policy.yaml"), []byte(`version: 1
roles:
  oncall:
    max_risk: read
    playbooks: [{path: runbook.yaml, as: admin}]
`), reg)
	if err != nil {
		t.Fatal(err)
	}
	ns := p.CacheNamespace([]string{"oncall"}, rb)
	if ns == "" || !strings.Contains(ns, filepath.Join(dir, "runbook.yaml")) || !strings.Contains(ns, "as admin") {
		t.Errorf("namespace of the granted runbook: %q", ns)
	}
	if got := p.CacheNamespace([]string{"oncall"}, other); got != "" {
		t.Errorf("namespace of an ungranted playbook: %q", got)
	}
	if got := p.CacheNamespace([]string{"viewer"}, rb); got != "" {
		t.Errorf("namespace without the grant: %q", got)
	}
}
