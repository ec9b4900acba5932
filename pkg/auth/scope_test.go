package auth

import (
	"net"
	"net/netip"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/arsenal-run/arsenal-run/pkg/ops"
	"github.com/arsenal-run/arsenal-run/pkg/ops/builtin"
	"github.com/arsenal-run/arsenal-run/pkg/steps"
	"github.com/arsenal-run/arsenal-run/schema/schematest"
)

// TestScopeUnspecifiedIsLoopback checks that every address rule treats the
// unspecified addresses, which reach the local host on Linux, as loopback.
func TestScopeUnspecifiedIsLoopback(t *testing.T) {
	unspecified := []string{"0.0.0.0", "::", "::ffff:0.0.0.0", "0:0:0:0:0:0:0:0"}
	rules := map[string]*HTTPRules{
		"deny_loopback":  {DenyLoopback: true},
		"deny_cidrs v4":  {DenyCIDRs: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8"), netip.MustParsePrefix("::1/128")}},
		"allow_cidrs":    {AllowCIDRs: []netip.Prefix{netip.MustParsePrefix("0.0.0.0/8"), netip.MustParsePrefix("::/128")}},
		"allow_hosts":    {AllowHosts: []string{"api.example.com"}},
		"deny_loopback+": {DenyLoopback: true, AllowCIDRs: []netip.Prefix{netip.MustParsePrefix("0.0.0.0/0"), netip.MustParsePrefix("::/0")}},
	}
	for name, h := range rules {
		s := newScope([]*Role{{Name: "r", HTTP: h}})
		for _, ip := range unspecified {
			err := s.AllowDial(ip, net.ParseIP(ip))
			if err == nil {
				t.Errorf("%s: AllowDial(%s) allowed, want it refused as the local host", name, ip)
				continue
			}
			if !strings.Contains(err.Error(), "127.0.0.1") && !strings.Contains(err.Error(), "::1") {
				t.Errorf("%s: AllowDial(%s) = %v, want it to name the loopback address reached", name, ip, err)
			}
		}
	}
	// A rule that allows loopback allows the unspecified address too.
	s := newScope([]*Role{{Name: "r", HTTP: &HTTPRules{AllowCIDRs: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8"), netip.MustParsePrefix("::1/128")}}}})
	for _, ip := range unspecified {
		if err := s.AllowDial(ip, net.ParseIP(ip)); err != nil {
			t.Errorf("allow loopback: AllowDial(%s) = %v", ip, err)
		}
	}
	// Other addresses are unchanged, mapped ones checked as IPv4.
	s = newScope([]*Role{{Name: "r", HTTP: &HTTPRules{DenyLoopback: true}}})
	for ip, ok := range map[string]bool{"10.0.0.1": true, "::ffff:127.0.0.1": false, "::ffff:10.0.0.1": true, "2001:db8::1": true} {
		if err := s.AllowDial("h", net.ParseIP(ip)); (err == nil) != ok {
			t.Errorf("AllowDial(%s) = %v, want ok=%v", ip, err, ok)
		}
	}
}

func TestRequireSandboxForms(t *testing.T) {
	reg := testRegistry(t)
	p, err := ParsePolicy("policy.yaml", []byte(`version: 1
roles:
  yes: {require_sandbox: true}
  no: {require_sandbox: false}
  limits: {require_sandbox: {memory: 512Mi, processes: 64, cpu: 1m}}
  online: {require_sandbox: {network: true}}
`), reg)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, name := range []string{"yes", "no", "limits", "online", RoleOperator} {
		s := newScope([]*Role{p.Roles[name]})
		got[name] = "free"
		if r := s.SandboxRequirement(); r != nil {
			got[name] = r.String()
		}
	}
	want := map[string]string{
		"yes":        "{network: false}",
		"no":         "free",
		"limits":     "{network: false, memory: 512Mi, cpu: 1m, processes: 64}",
		"online":     "{network: true}",
		RoleOperator: "free",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("requirements (-want +got):\n%s", diff)
	}
	for src, msg := range map[string]string{
		"require_sandbox: yes-please":           "policy.yaml:3:24: require_sandbox takes true, false, or limits",
		"require_sandbox: {memry: 1Gi}":         `policy.yaml:3:25: unknown key "memry" in require_sandbox (did you mean "memory"?)`,
		"require_sandbox: {memory: lots}":       `policy.yaml:3:33: require_sandbox memory: want a size like 256Mi`,
		"require_sandbox: {processes: 0}":       "policy.yaml:3:36: require_sandbox processes: 0 is out of range",
		"require_sandbox: {network: sometimes}": "policy.yaml:3:34: require_sandbox network: want true or false",
	} {
		_, err := ParsePolicy("policy.yaml", []byte("version: 1\nroles:\n  r: {"+src+"}\n"), reg)
		if err == nil || !strings.Contains(err.Error(), msg) {
			t.Errorf("%s: %v, want %q", src, err, msg)
		}
	}
}

// TestScopeOfInheritingRole checks that a role's own scope settings hold
// when it inherits a role that sets none, as the built-in ones do: before,
// inheriting operator voided require_sandbox and http rules.
func TestScopeOfInheritingRole(t *testing.T) {
	reg := testRegistry(t)
	p, err := ParsePolicy("policy.yaml", []byte(`version: 1
roles:
  ci:
    inherits: [operator]
    require_sandbox: {memory: 256Mi}
    http: {deny_loopback: true}
  lenient:
    max_risk: write
    require_sandbox: {memory: 1Gi, processes: 10}
    http: {allow_hosts: [example.com]}
  free: {max_risk: write, require_sandbox: false}
`), reg)
	if err != nil {
		t.Fatal(err)
	}
	scope := func(roles ...string) *Scope {
		s, err := p.Subject(roles, nil)
		if err != nil {
			t.Fatal(err)
		}
		// shell.exec, which each of these roles allows.
		return s.Scope("shell.exec", ops.RiskWrite)
	}
	ci := scope("ci")
	if r := ci.SandboxRequirement(); r == nil || r.String() != "{network: false, memory: 256Mi}" {
		t.Errorf("ci inherits operator: sandbox requirement %v, want {network: false, memory: 256Mi}", r)
	}
	if err := ci.AllowDial("0.0.0.0", net.ParseIP("0.0.0.0")); err == nil {
		t.Error("ci inherits operator: deny_loopback is void")
	}
	// Held roles that allow the operation are a choice: a call runs
	// within one of them. A sandbox within the tightest of their
	// requirements meets each; a step's own sandbox: narrows the choice
	// to the roles it meets; any host one of them allows is allowed.
	both := scope("ci", "lenient")
	if r := both.SandboxRequirement(); r == nil || r.String() != "{network: false, memory: 256Mi, processes: 10}" {
		t.Errorf("ci + lenient: %v, want the tightest of both, {network: false, memory: 256Mi, processes: 10}", r)
	}
	call := both.forCall()
	if req, err := call.AdmitSandbox(map[string]any{"memory": "1Gi"}); err != nil {
		t.Errorf("ci + lenient, a sandbox of 1Gi: %v (%v), want lenient's", err, req)
	}
	if r := call.SandboxRequirement(); r == nil || r.String() != "{network: false, memory: 1Gi, processes: 10}" {
		t.Errorf("ci + lenient, a call asking for 1Gi: %v, want lenient's {network: false, memory: 1Gi, processes: 10}", r)
	}
	if err := both.AllowDial("example.com", net.ParseIP("93.184.216.34")); err != nil {
		t.Errorf("ci + lenient: %v", err)
	}
	// An explicit require_sandbox: false lifts the requirement, for a
	// step that asks for no sandbox.
	call = scope("ci", "free").forCall()
	if _, err := call.AdmitSandbox(nil); err != nil || call.SandboxRequired() {
		t.Errorf("ci + free, a step without sandbox: %v; required %v", err, call.SandboxRequired())
	}
}

// TestSandboxRoleDeniesProcessStart checks that a role that requires a
// sandbox may not run process.start, whose process cannot be sandboxed,
// while a grant to a role without the requirement still may.
func TestSandboxRoleDeniesProcessStart(t *testing.T) {
	reg := ops.NewRegistry()
	if err := builtin.Register(reg, builtin.Options{}); err != nil {
		t.Fatal(err)
	}
	defer reg.Close()
	dir := t.TempDir()
	pbPath := writeFile(t, dir, "pb.yaml", `version: 1
name: t
steps:
  - {id: start, op: process.start, with: {command: [sleep, "1"]}}
  - {id: sh, op: shell.exec, with: {command: ["true"], sandbox: {}}}
`)
	pb, err := steps.Load(pbPath, reg)
	if err != nil {
		t.Fatal(err)
	}
	p, err := ParsePolicy(filepath.Join(dir, "policy.yaml"), []byte(`version: 1
roles:
  ci: {max_risk: write, require_sandbox: true}
  runner:
    require_sandbox: true
    playbooks: [{path: pb.yaml, as: operator}]
`), reg)
	if err != nil {
		t.Fatal(err)
	}
	ds, err := p.Preflight([]string{"ci"}, pb, reg)
	if err != nil {
		t.Fatal(err)
	}
	if d := ds[0].Decision; d.Allowed || !strings.Contains(d.Rule, "process.start cannot run sandboxed") {
		t.Errorf("process.start under require_sandbox: %+v", d)
	}
	if d := ds[1].Decision; !d.Allowed {
		t.Errorf("shell.exec with sandbox: %+v", d)
	}
	ds, _ = p.Preflight([]string{"runner"}, pb, reg)
	if d := ds[0].Decision; !d.Allowed || !strings.Contains(d.Via, "grant") {
		t.Errorf("process.start through a grant as operator: %+v", d)
	}
}

func TestPolicySchemaRequireSandbox(t *testing.T) {
	s := schematest.Compile(t, "policy")
	for src, ok := range map[string]bool{
		"require_sandbox: true":  true,
		"require_sandbox: false": true,
		"require_sandbox: {network: false, memory: 512Mi, cpu: 90s, processes: 64}":       true,
		"require_sandbox: {memory: 1073741824, file_size: 10M, cpu: 2.5, open_files: 64}": true,
		"require_sandbox: yes-please":       false,
		"require_sandbox: {memry: 1Gi}":     false,
		"require_sandbox: {memory: lots}":   false,
		"require_sandbox: {processes: 0}":   false,
		"require_sandbox: {network: maybe}": false,
	} {
		err := s.Validate(yamlToJSON(t, []byte("version: 1\nroles:\n  r: {"+src+"}\n")))
		if (err == nil) != ok {
			t.Errorf("%s: schema says %v, want ok=%v", src, err, ok)
		}
	}
}

// TestHTTPRulesOfInheritingRole checks that a role's http rules hold when
// it inherits a role without any, as the built-in ones are: before, the
// inherited role made the network unrestricted.
func TestHTTPRulesOfInheritingRole(t *testing.T) {
	p, err := ParsePolicy("policy.yaml", []byte(`version: 1
roles:
  oncall:
    inherits: [viewer]
    http: {deny_loopback: true}
`), testRegistry(t))
	if err != nil {
		t.Fatal(err)
	}
	s, err := p.Subject([]string{"oncall"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, ip := range []string{"127.0.0.1", "0.0.0.0", "::"} {
		if err := s.Scope("http.request", ops.RiskRead).AllowDial(ip, net.ParseIP(ip)); err == nil {
			t.Errorf("oncall inherits viewer: %s allowed despite deny_loopback", ip)
		}
	}
	if err := s.Scope("http.request", ops.RiskRead).AllowDial("example.com", net.ParseIP("93.184.216.34")); err != nil {
		t.Errorf("a public address: %v", err)
	}
}

// TestHostRuleAddressesMatchWhatIsReached: an address in allow_hosts or
// deny_hosts stands for the address connected to, however the step
// spells it or whatever name resolves to it.
func TestHostRuleAddressesMatchWhatIsReached(t *testing.T) {
	deny := newScope([]*Role{{Name: "r", HTTP: &HTTPRules{DenyHosts: []string{"127.0.0.1", "::1", "169.254.169.254"}}}})
	allow := newScope([]*Role{{Name: "r", HTTP: &HTTPRules{AllowHosts: []string{"10.0.0.1", "[2001:db8::1]"}}}})
	for _, c := range []struct{ host, ip string }{
		{"127.0.0.1", "127.0.0.1"},
		{"::ffff:127.0.0.1", "::ffff:127.0.0.1"},
		{"0.0.0.0", "0.0.0.0"},
		{"::", "::"},
		{"0::1", "::1"},
		{"0:0:0:0:0:0:0:1", "::1"},
		{"::ffff:a9fe:a9fe", "::ffff:169.254.169.254"},
		{"metadata.example", "169.254.169.254"},
	} {
		if err := deny.AllowDial(c.host, net.ParseIP(c.ip)); err == nil {
			t.Errorf("deny_hosts: AllowDial(%s, %s) allowed", c.host, c.ip)
		}
	}
	for _, c := range []struct{ host, ip string }{
		{"10.0.0.1", "10.0.0.1"},
		{"::ffff:10.0.0.1", "::ffff:10.0.0.1"},
		{"internal.example", "10.0.0.1"},
		{"2001:db8:0::1", "2001:db8::1"},
	} {
		if err := allow.AllowDial(c.host, net.ParseIP(c.ip)); err != nil {
			t.Errorf("allow_hosts: AllowDial(%s, %s) = %v", c.host, c.ip, err)
		}
	}
	if err := deny.AllowDial("10.0.0.2", net.ParseIP("10.0.0.2")); err != nil {
		t.Errorf("deny_hosts: another address: %v", err)
	}
	if err := allow.AllowDial("10.0.0.2", net.ParseIP("10.0.0.2")); err == nil {
		t.Error("allow_hosts: another address allowed")
	}
}

// TestMappedNetworksAreRefused: an IPv4-mapped network in a rule would
// never match, since addresses are checked as the IPv4 they reach; the
// loader names the network to write instead.
func TestMappedNetworksAreRefused(t *testing.T) {
	_, err := ParsePolicy("policy.yaml", []byte(`version: 1
roles:
  m: {inherits: [operator], http: {deny_cidrs: ["::ffff:127.0.0.0/104", "::ffff:192.0.2.1", "10.0.0.0/8"]}}
`), testRegistry(t))
	if err == nil {
		t.Fatal("loaded")
	}
	for _, want := range []string{`policy.yaml:3:`, `"::ffff:127.0.0.0/104" is IPv4-mapped`, "write 127.0.0.0/8", "write 192.0.2.1/32"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q:\n%v", want, err)
		}
	}
	if strings.Contains(err.Error(), "10.0.0.0/8") {
		t.Errorf("a plain network refused:\n%v", err)
	}
}

// TestDefaultRootsFingerprintWhereTheyAre: a scope with the default roots
// (the working and temp directories) is not the same scope in another
// working directory, for the cache's keys.
func TestDefaultRootsFingerprintWhereTheyAre(t *testing.T) {
	s := newScope([]*Role{{Name: "viewer"}})
	if s.FileRoots() != nil {
		t.Fatalf("roots %v, want the defaults", s.FileRoots())
	}
	t.Chdir(t.TempDir())
	a := s.Fingerprint()
	t.Chdir(t.TempDir())
	if b := s.Fingerprint(); a == b {
		t.Error("the same fingerprint in two working directories")
	}
	if c := s.Fingerprint(); c != s.Fingerprint() {
		t.Error("the fingerprint changes by itself")
	}
}

// TestNamesDeniedBeforeTheyAreResolved: a name the rules refuse by name
// alone is denied before any DNS query; one an address rule might let
// through, and every address, is left to the dial.
func TestNamesDeniedBeforeTheyAreResolved(t *testing.T) {
	deny := newScope([]*Role{{Name: "d", HTTP: &HTTPRules{DenyHosts: []string{"*.internal.example", "10.0.0.1"}}}})
	names := newScope([]*Role{{Name: "n", HTTP: &HTTPRules{AllowHosts: []string{"api.example.com"}}}})
	mixed := newScope([]*Role{{Name: "m", HTTP: &HTTPRules{AllowHosts: []string{"api.example.com"}, AllowCIDRs: []netip.Prefix{netip.MustParsePrefix("192.0.2.0/24")}}}})
	for _, c := range []struct {
		s      *Scope
		host   string
		denied bool
	}{
		{deny, "admin.internal.example", true},
		{deny, "ADMIN.Internal.Example.", true},
		{deny, "api.example.com", false},
		{deny, "10.0.0.1", false}, // an address: the dial decides
		{names, "leak.attacker.example", true},
		{names, "api.example.com", false},
		{names, "127.0.0.1", false},
		{mixed, "other.example", false}, // it may resolve into 192.0.2.0/24
	} {
		err := c.s.AllowName(c.host)
		if (err != nil) != c.denied {
			t.Errorf("AllowName(%s) = %v, want denied=%v", c.host, err, c.denied)
		}
	}
	// Two roles' rules add up: a name either lets through passes.
	both := newScope([]*Role{{Name: "d", HTTP: &HTTPRules{DenyHosts: []string{"x.example"}}}, {Name: "e", HTTP: &HTTPRules{AllowHosts: []string{"x.example"}}}})
	if err := both.AllowName("x.example"); err != nil {
		t.Errorf("two roles: %v", err)
	}
}

// TestScopeZonedAddressSaysWhy checks that a connection to an IPv6
// address with a zone, which the dialer gives no plain IP for, is refused
// under http rules with a message that names the address, its zone and
// why, and is allowed under a role without http rules.
func TestScopeZonedAddressSaysWhy(t *testing.T) {
	s := newScope([]*Role{{Name: "r", HTTP: &HTTPRules{DenyLoopback: true}}})
	for host, want := range map[string][]string{
		"fe80::1%lo":     {"connecting to fe80::1%lo", "fe80::1 is a link-local IPv6 address with a zone (%lo", "without its zone"},
		"[fe80::1%eth0]": {"fe80::1 is a link-local IPv6 address with a zone (%eth0"},
		"2001:db8::1%lo": {"2001:db8::1 is an IPv6 address with a zone (%lo"},
		"printer.lan":    {"connecting to printer.lan: it reaches an address that is not a plain IP"},
	} {
		err := s.AllowDial(host, nil)
		if err == nil {
			t.Errorf("AllowDial(%s) allowed", host)
			continue
		}
		for _, w := range want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("AllowDial(%s) = %v, want it to say %q", host, err, w)
			}
		}
		if strings.Contains(err.Error(), "<nil>") {
			t.Errorf("AllowDial(%s) = %v", host, err)
		}
	}
	if err := newScope([]*Role{{Name: "r"}}).AllowDial("fe80::1%lo", nil); err != nil {
		t.Errorf("no http rules: %v", err)
	}
}
