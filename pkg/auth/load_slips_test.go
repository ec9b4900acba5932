package auth

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestIndentationSlips: a role key written two spaces in, where role
// names go, was read as a role named "max_risk" ("role max_risk must be a
// mapping (key: value), not a string"), and a role written at the start
// of the line as an unknown key of the policy; both now say where the
// line belongs. A role of another name with a role's body still loads.
func TestIndentationSlips(t *testing.T) {
	cases := []struct {
		name, src string
		want      []string
	}{
		{"keys out of their role", `version: 1
roles:
  oncall:
    allow: [process.list]
  max_risk: write
  file_roots: [/tmp]
`, []string{
			`p.yaml:5:3: "max_risk" is a key of a role, but it is indented as a role's name, so role oncall above (line 3) does not get it: indent it to column 5, under oncall:, as that role's other keys`,
			`p.yaml:6:3: "file_roots" is a key of a role, but it is indented as a role's name, so role oncall above (line 3) does not get it: indent it to column 5, under oncall:, as that role's other keys`,
		}},
		{"key under an empty role", `version: 1
roles:
  oncall:
  allow: [process.list]
`, []string{
			`p.yaml:4:3: "allow" is a key of a role, but it is indented as a role's name, so role oncall above (line 3) does not get it: indent it to column 5, under oncall:, as that role's other keys`,
		}},
		{"key first", `version: 1
roles:
  deny: [process.kill]
`, []string{
			"p.yaml:3:3: \"deny\" is a key of a role, but it is indented as a role's name: put it under a role, like `roles: {oncall: {deny: ...}}`",
		}},
		{"role out of roles", `version: 1
roles:
oncall:
  allow: [process.list]
`, []string{
			"p.yaml:3:1: unknown key \"oncall\" in the policy (it reads as a role: a role goes under roles:, indented by two spaces, and its keys by two more, like `roles: {oncall: {...}}`); allowed keys: version, roles, rate, cache",
		}},
		{"a role named like a key", `version: 1
roles:
  hosts:
    allow: [process.list]
    file_roots: [/tmp]
`, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if diff := cmp.Diff(c.want, loadDiags(t, "p.yaml", c.src)); diff != "" {
				t.Errorf("diagnostics (-want +got):\n%s", diff)
			}
		})
	}
}

// TestAllowAlsoDenied: a role that allows and denies the same pattern
// loaded, and the allow silently did nothing (deny wins at equal
// specificity); it is now an error at the allow, naming the deny.
func TestAllowAlsoDenied(t *testing.T) {
	got := loadDiags(t, "p.yaml", `version: 1
roles:
  oncall:
    allow: [process.list, process.kill, "file.*"]
    deny:
      - process.kill
      - file.*
    max_risk: read
`)
	want := []string{
		`p.yaml:4:27: role oncall both allows and denies "process.kill" (deny at line 6, column 9), and deny wins, so this allow never takes effect: remove the deny to allow it, or this allow to deny it`,
		`p.yaml:4:41: role oncall both allows and denies "file.*" (deny at line 7, column 9), and deny wins, so this allow never takes effect: remove the deny to allow it, or this allow to deny it`,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("diagnostics (-want +got):\n%s", diff)
	}
}

// TestFileRootWithDotDot: an absolute root with a .. in it loaded as the
// directory it resolves to, so "/var/log/app/../.." gave the role all of
// /var; it is now an error naming the directory it is, and the one it
// reads as (a directory named ..data is one). A trailing slash
// and a relative root (from the policy's directory) still load.
func TestFileRootWithDotDot(t *testing.T) {
	got := loadDiags(t, "p.yaml", `version: 1
roles:
  a:
    file_roots: [/var/log/app/../.., /srv/x/, ../shared, /srv/..data/../x]
`)
	want := []string{
		`p.yaml:4:18: file_roots: "/var/log/app/../.." has a .. in it, which makes it /var, not a tree under /var/log/app; write /var if that is the tree meant`,
		// A directory whose name begins with .. is a name, not a ..
		`p.yaml:4:58: file_roots: "/srv/..data/../x" has a .. in it, which makes it /srv/x, not a tree under /srv/..data; write /srv/x if that is the tree meant`,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("diagnostics (-want +got):\n%s", diff)
	}
}

// TestAllowDeniedByInherited: a role that allowed a pattern a role it
// inherits denies loaded without a word, and the allow did nothing (the
// rules count together and deny wins); it is now an error at the allow,
// naming the role that denies and where, however deep. A more specific
// allow over an inherited category deny still loads: it wins.
func TestAllowDeniedByInherited(t *testing.T) {
	got := loadDiags(t, "p.yaml", `version: 1
roles:
  base:
    max_risk: write
    deny: [process.kill, "shell.*"]
  mid:
    inherits: [base]
  oncall:
    inherits: [mid]
    allow: [process.kill, shell.exec]
  builder:
    inherits: [base]
    allow: ["shell.*"]
`)
	want := []string{
		`p.yaml:10:13: role oncall allows "process.kill", but it inherits role base, which denies it (line 5, column 12), and deny wins: a role's rules count together with those it inherits, so this allow never takes effect. To allow it in oncall, stop inheriting base (give oncall what it needs of base itself), or move that deny out of base into the roles that need it; or remove this allow`,
		`p.yaml:13:13: role builder allows "shell.*", but it inherits role base, which denies it (line 5, column 26), and deny wins: a role's rules count together with those it inherits, so this allow never takes effect. To allow it in builder, stop inheriting base (give builder what it needs of base itself), or move that deny out of base into the roles that need it; or remove this allow`,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("diagnostics (-want +got):\n%s", diff)
	}
}
