package inventory

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func loadFleet(t *testing.T) *Inventory {
	t.Helper()
	inv, err := Load(filepath.Join("testdata", "valid", "fleet.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	return inv
}

func names(hosts []*Host) []string {
	var out []string
	for _, h := range hosts {
		out = append(out, h.Name)
	}
	return out
}

// TestHostsOfGroups resolves groups of groups into hosts in file order,
// each once, and the other selectors.
func TestHostsOfGroups(t *testing.T) {
	inv := loadFleet(t)
	for _, tc := range []struct {
		sel  string
		want []string
	}{
		{"web", []string{"web-1", "web-2"}},
		{"eu", []string{"bastion-eu", "web-1", "web-2", "db-1"}},
		{"all", []string{"bastion-eu", "web-1", "web-2", "db-1", "legacy", "localhost-alias"}},
		{"db-1", []string{"db-1"}},
		{"tag:canary", []string{"web-1"}},
	} {
		hosts, err := inv.Hosts(tc.sel)
		if err != nil {
			t.Errorf("Hosts(%q): %v", tc.sel, err)
			continue
		}
		if diff := cmp.Diff(tc.want, names(hosts)); diff != "" {
			t.Errorf("Hosts(%q) (-want +got):\n%s", tc.sel, diff)
		}
	}
	for sel, msg := range map[string]string{
		"webb":    `no group or host "webb" (did you mean "web"?)`,
		"tag:nop": `no host has the tag "nop"`,
		"empty":   `group "empty" (testdata/valid/fleet.yaml:30:3) holds no host; add members to it, or select another group`,
	} {
		if _, err := inv.Hosts(sel); err == nil || !strings.Contains(err.Error(), msg) {
			t.Errorf("Hosts(%q) = %v; want an error containing %q", sel, err, msg)
		}
	}
	var none *Inventory
	if _, err := none.Hosts("web"); err == nil || !strings.Contains(err.Error(), "no inventory is loaded") {
		t.Errorf("nil inventory: Hosts = %v", err)
	}
}

// TestHostFields checks defaults, var precedence (host over nearer group
// over outer group over defaults), groups, paths and jumps.
func TestHostFields(t *testing.T) {
	inv := loadFleet(t)
	dir, _ := filepath.Abs(filepath.Join("testdata", "valid"))
	get := func(name string) *Host {
		h, ok := inv.Host(name)
		if !ok {
			t.Fatalf("no host %s", name)
		}
		return h
	}
	web2, db1, bastion, legacy, alias := get("web-2"), get("db-1"), get("bastion-eu"), get("legacy"), get("localhost-alias")

	if diff := cmp.Diff(map[string]any{"env": "prod", "tier": "edge", "region": "eu-west"}, web2.Vars); diff != "" {
		t.Errorf("web-2 vars (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(map[string]any{"env": "prod", "tier": "data", "region": "eu-west", "primary": true}, db1.Vars); diff != "" {
		t.Errorf("db-1 vars: the db group is nearer than eu (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"db", "eu"}, db1.Groups); diff != "" {
		t.Errorf("db-1 groups (-want +got):\n%s", diff)
	}
	if db1.User != "postgres" || db1.Port != 2222 || db1.IdentityFile != filepath.Join(dir, "keys/ops") || db1.CertificateFile != filepath.Join(dir, "keys/ops-cert.pub") {
		t.Errorf("db-1 = %+v; want user postgres, the default port and key, its own certificate", db1)
	}
	if bastion.Port != 22 || bastion.Jump != nil {
		t.Errorf("bastion-eu: port %d jump %v; want 22 and a direct connection (jump: none beats the group's)", bastion.Port, bastion.Jump)
	}
	if web2.Jump != bastion || web2.HostPort() != "[2001:db8::12]:2222" {
		t.Errorf("web-2: jump %v, %s; want bastion-eu from group eu, [2001:db8::12]:2222", web2.Jump, web2.HostPort())
	}
	if j := legacy.Jump; j == nil || j.Name != "admin@192.0.2.1:2200" || j.User != "admin" || j.Port != 2200 || j.Address != "192.0.2.1" {
		t.Errorf("legacy jump = %+v; want admin@192.0.2.1:2200", j)
	}
	if diff := cmp.Diff([]string{"bastion-eu", "web-2"}, names(web2.Chain())); diff != "" {
		t.Errorf("web-2 chain (-want +got):\n%s", diff)
	}
	if alias.Address != "localhost-alias" {
		t.Errorf("a host without address has address %q; want its name", alias.Address)
	}
	if !web2.Matches("eu") || !web2.Matches("web") || get("web-1").Matches("db") || !get("web-1").Matches("tag:canary") || web2.Matches("tag:canary") || !web2.Matches("*") {
		t.Error("Matches disagrees with the groups and tags")
	}
	d := get("web-1").Data()
	want := map[string]any{"name": "web-1", "address": "web-1.eu.example.com", "port": 2222, "user": "ops",
		"tags": []any{"web", "canary"}, "groups": []any{"eu", "web"}, "vars": map[string]any{"env": "prod", "tier": "eu", "region": "eu-west"}}
	if diff := cmp.Diff(want, d); diff != "" {
		t.Errorf("Data (-want +got):\n%s", diff)
	}
	// Data is a copy: changing it leaves the host alone.
	d["vars"].(map[string]any)["env"] = "dev"
	if get("web-1").Vars["env"] != "prod" {
		t.Error("Data shares the host's vars map")
	}
}

// TestResolve reads host parameters: inventory names, addresses written
// directly with the defaults applied, and refusals.
func TestResolve(t *testing.T) {
	inv := loadFleet(t)
	for _, tc := range []struct {
		target           string
		user, addr, name string
		port             int
	}{
		{"web-1", "ops", "web-1.eu.example.com", "web-1", 2222},
		{"root@10.9.9.9", "root", "10.9.9.9", "root@10.9.9.9", 2222},
		{"10.9.9.9:22", "ops", "10.9.9.9", "10.9.9.9:22", 22},
		{"10.9.9.9", "ops", "10.9.9.9", "10.9.9.9", 2222},
		{"a@[2001:db8::1]:2200", "a", "2001:db8::1", "a@[2001:db8::1]:2200", 2200},
		{"2001:db8::1", "ops", "2001:db8::1", "2001:db8::1", 2222},
		{"me@host.example.org", "me", "host.example.org", "me@host.example.org", 2222},
		{"host.example.org:2", "ops", "host.example.org", "host.example.org:2", 2},
	} {
		h, err := inv.Resolve(tc.target)
		if err != nil {
			t.Errorf("Resolve(%q): %v", tc.target, err)
			continue
		}
		if h.User != tc.user || h.Address != tc.addr || h.Port != tc.port || h.Name != tc.name {
			t.Errorf("Resolve(%q) = %s %s@%s:%d; want %s %s@%s:%d", tc.target, h.Name, h.User, h.Address, h.Port, tc.name, tc.user, tc.addr, tc.port)
		}
	}
	for target, msg := range map[string]string{
		"web-3":            `host "web-3" is not in inventory testdata/valid/fleet.yaml (did you mean "web-1"?); to reach an address directly write user@web-3 or web-3:22`,
		"":                 "is empty",
		"a@b@c":            "neither an IP address nor a DNS name",
		"x:99999":          "port \"99999\" is not a number from 1 to 65535",
		"2001:db8::1:22:x": "an IPv6 address with a port must be written [address]:port",
		"[web]:22":         "only an IPv6 address may be written in brackets",
		"bad user@x":       "not a valid login name",
		"a;rm -rf /@x":     "not a valid login name",
		"x@a b":            "neither an IP address nor a DNS name",
		"root@web-1":       `host "root@web-1": web-1 is a host of inventory testdata/valid/fleet.yaml (line 9), but written with user@ or :port it would be dialled as a DNS name, without the inventory's address, port, key and jump host`,
		"DB-1:22":          `DB-1 is a host of inventory testdata/valid/fleet.yaml (line 11)`,
		// Not "write user@DB-1", which would be refused as above.
		"DB-1": `host "DB-1" is not in inventory testdata/valid/fleet.yaml (did you mean "db-1"?); host names are case-sensitive`,
	} {
		if _, err := inv.Resolve(target); err == nil || !strings.Contains(err.Error(), msg) {
			t.Errorf("Resolve(%q) = %v; want an error containing %q", target, err, msg)
		}
	}
	var none *Inventory
	if h, err := none.Resolve("u@10.0.0.1"); err != nil || h.Port != 22 || h.User != "u" {
		t.Errorf("nil inventory, direct address: %+v, %v", h, err)
	}
	if _, err := none.Resolve("web-1"); err == nil || !strings.Contains(err.Error(), "no inventory is loaded") {
		t.Errorf("nil inventory, bare name: %v", err)
	}
	for _, ok := range []string{"web-1", "u@h:2", "[::1]:22"} {
		if err := CheckTarget(ok); err != nil {
			t.Errorf("CheckTarget(%q): %v", ok, err)
		}
	}
	if err := CheckTarget("u@h:0"); err == nil {
		t.Error("CheckTarget accepts port 0")
	}
}

// TestLoadErrors covers a missing file and a file over the size limit.
func TestLoadErrors(t *testing.T) {
	if _, err := Load(filepath.Join(t.TempDir(), "nope.yaml")); err == nil || !strings.Contains(err.Error(), "nope.yaml: cannot read the inventory: no such file or directory; check the path") {
		t.Errorf("missing file: %v", err)
	}
	big := filepath.Join(t.TempDir(), "big.yaml")
	if err := os.WriteFile(big, []byte("version: 1\n"+strings.Repeat("#\n", MaxFileSize)), 0o644); err != nil {
		t.Fatal(err)
	}
	// Its size and the limit in MiB, naming the file alone: it has no
	// line at fault.
	if _, err := Load(big); err == nil || err.Error() != big+": the file is 8.0 MiB (8388619 bytes), over the limit of 4 MiB; split the inventory into several files" {
		t.Errorf("big file: %v", err)
	}
}

// TestDefaultCertificateGoesWithDefaultKey: a certificate belongs to one
// key. A host (a bastion, say) with an identity file of its own does not
// get the defaults' certificate, which certifies the defaults' key: the
// pair would fail every login to it ("does not belong to"). A host that
// takes the default key takes its certificate too, and one that names a
// certificate keeps it.
func TestDefaultCertificateGoesWithDefaultKey(t *testing.T) {
	inv, err := Parse("/etc/inv.yaml", []byte(`version: 1
defaults: {identity_file: keys/fleet, certificate_file: keys/fleet-cert.pub}
hosts:
  bastion: {address: 198.51.100.7, identity_file: keys/bastion, jump: none}
  web-1: {address: 10.0.0.11, jump: bastion}
  web-2: {address: 10.0.0.12, identity_file: keys/web, certificate_file: keys/web-cert.pub, jump: bastion}
  web-3: {address: 10.0.0.13, certificate_file: keys/other-cert.pub}
`))
	if err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string][2]string{
		"bastion": {"/etc/keys/bastion", ""},
		"web-1":   {"/etc/keys/fleet", "/etc/keys/fleet-cert.pub"},
		"web-2":   {"/etc/keys/web", "/etc/keys/web-cert.pub"},
		"web-3":   {"/etc/keys/fleet", "/etc/keys/other-cert.pub"},
	} {
		h, _ := inv.Host(name)
		if h.IdentityFile != want[0] || h.CertificateFile != want[1] {
			t.Errorf("%s: identity %q, certificate %q; want %q, %q", name, h.IdentityFile, h.CertificateFile, want[0], want[1])
		}
	}
}
