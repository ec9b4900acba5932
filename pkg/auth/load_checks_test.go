package auth

import (
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/arsenal-run/arsenal-run/internal/yamlx"
	"github.com/arsenal-run/arsenal-run/schema/schematest"
)

// loadDiags parses a policy and returns its diagnostics as
// file:line:col: message lines; none when it loads.
func loadDiags(t *testing.T, file, src string) []string {
	t.Helper()
	_, err := ParsePolicy(file, []byte(src), testRegistry(t))
	if err == nil {
		return nil
	}
	var ds yamlx.Diagnostics
	if !errors.As(err, &ds) {
		t.Fatalf("want diagnostics, got %v", err)
	}
	out := make([]string, len(ds))
	for i, d := range ds {
		out[i] = d.Error()
	}
	return out
}

// TestHostRuleEntries: an allow_hosts or deny_hosts entry that hostMatch
// can never match (a URL, host:port, a * inside a label, "", a space) was
// accepted and denied nothing; each is now an error at the entry, saying
// what to write, and the schema refuses it too.
func TestHostRuleEntries(t *testing.T) {
	cases := []struct {
		entry, want string
	}{
		{`"http://localhost"`, `"http://localhost" is not a host name or *.suffix; write localhost (a URL's scheme, port and path are not part of a host rule)`},
		{`"https://api.example.com:8443/v1"`, `"https://api.example.com:8443/v1" is not a host name or *.suffix; write api.example.com (a URL's scheme, port and path are not part of a host rule)`},
		{`"localhost:19710"`, `"localhost:19710" is not a host name or *.suffix; write localhost (a URL's scheme, port and path are not part of a host rule)`},
		{`"example.com/admin"`, `"example.com/admin" is not a host name or *.suffix; write example.com (a URL's scheme, port and path are not part of a host rule)`},
		{`"[::1]"`, `"[::1]" is not a host name or *.suffix; write ::1 (a URL's scheme, port and path are not part of a host rule)`},
		{`"*localhost"`, `"*localhost" is not a host name or *.suffix; a * may only stand first, as in *.example.com, which matches every subdomain of example.com (not example.com itself)`},
		{`"local*"`, `"local*" is not a host name or *.suffix; a * may only stand first, as in *.example.com, which matches every subdomain of example.com (not example.com itself)`},
		{`"*.*.example.com"`, `"*.*.example.com" is not a host name or *.suffix; a * may only stand first, as in *.example.com, which matches every subdomain of example.com (not example.com itself)`},
		{`"*"`, `"*" is not a host name or *.suffix; to deny every connection, write deny_cidrs: [0.0.0.0/0, "::/0"] instead`},
		{`""`, `an empty entry matches no host; remove it, or write a host name like api.example.com or *.example.com`},
		{`"a b"`, `"a b" is not a host name or *.suffix; write a name like api.example.com: labels of letters, digits, - and _, separated by dots, each at most 63 long and neither starting nor ending with -`},
		{`"-db.example"`, `"-db.example" is not a host name or *.suffix; write a name like api.example.com: labels of letters, digits, - and _, separated by dots, each at most 63 long and neither starting nor ending with -`},
		{`"db..example"`, `"db..example" is not a host name or *.suffix; write a name like api.example.com: labels of letters, digits, - and _, separated by dots, each at most 63 long and neither starting nor ending with -`},
		{`"10.0.0"`, `"10.0.0" is not a host name or *.suffix; it looks like an IPv4 address but is not one, and no host name ends in a label of digits; to match addresses, use allow_cidrs or deny_cidrs`},
		{`"*.0.0.1"`, `"*.0.0.1" is not a host name or *.suffix; it looks like an IPv4 address but is not one, and no host name ends in a label of digits; to match addresses, use allow_cidrs or deny_cidrs`},
		{`"10.0.0.0/8"`, `"10.0.0.0/8" is not a host name or *.suffix; a network goes in deny_cidrs`},
		{`"fe80::1%eth0"`, `"fe80::1%eth0" is not a host name or *.suffix; write fe80::1: an address with a zone is never dialled under a policy`},
	}
	// Entries the loader refuses that the schema's pattern cannot tell
	// from good ones.
	schemaPasses := map[string]bool{`"10.0.0"`: true, `"*.0.0.1"`: true}
	s := schematest.Compile(t, "policy")
	for _, c := range cases {
		src := "version: 1\nroles:\n  r:\n    http: {deny_hosts: [" + c.entry + "]}\n"
		got := loadDiags(t, "p.yaml", src)
		want := []string{"p.yaml:4:25: deny_hosts: " + c.want}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("deny_hosts: [%s] (-want +got):\n%s", c.entry, diff)
		}
		if err := s.Validate(yamlToJSON(t, []byte(src))); err == nil && !schemaPasses[c.entry] {
			t.Errorf("the schema accepts deny_hosts: [%s]", c.entry)
		}
	}
	// "*" in allow_hosts gets its own advice.
	got := loadDiags(t, "p.yaml", "version: 1\nroles:\n  r:\n    http: {allow_hosts: [\"*\"]}\n")
	if want := []string{`p.yaml:4:26: allow_hosts: "*" is not a host name or *.suffix; to allow every host, leave allow_hosts and allow_cidrs out`}; !cmp.Equal(want, got) {
		t.Errorf("allow_hosts: [*]: %s", cmp.Diff(want, got))
	}

	// Every problem of a file at once, each at its entry.
	got = loadDiags(t, "p.yaml", `version: 1
roles:
  r:
    http:
      allow_hosts: [ok.example, "http://x.example/"]
      deny_hosts:
        - metadata.internal
        - "x y"
`)
	if len(got) != 2 || !strings.HasPrefix(got[0], `p.yaml:5:33: allow_hosts: "http://x.example/"`) || !strings.HasPrefix(got[1], `p.yaml:8:11: deny_hosts: "x y"`) {
		t.Errorf("two bad entries: %q", got)
	}

	// What hostMatch can match loads, passes the schema, and matches
	// the host a URL gives the dialler (net.SplitHostPort of its host:port).
	good := map[string]string{
		"Metadata.Internal.":    "metadata.internal",
		"*.svc.example":         "db.svc.example",
		"*.SVC.example.":        "x.db.svc.example",
		"my_host":               "my_host",
		"localhost":             "localhost",
		"10.0.0.1":              "10.0.0.1",
		"::1":                   "::1",
		"FE80::1":               "fe80::1",
		"xn--bcher-kva.example": "xn--bcher-kva.example",
	}
	var entries []string
	for e := range good {
		entries = append(entries, fmt.Sprintf("%q", e))
	}
	src := "version: 1\nroles:\n  r:\n    http: {deny_hosts: [" + strings.Join(entries, ", ") + "]}\n"
	p, err := ParsePolicy("p.yaml", []byte(src), testRegistry(t))
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Validate(yamlToJSON(t, []byte(src))); err != nil {
		t.Errorf("the schema refuses good host rules: %v", err)
	}
	rules := p.Roles["r"].HTTP.DenyHosts
	for entry, host := range good {
		if !hostMatch(strings.ToLower(entry), host) {
			t.Errorf("rule %q does not match host %q", entry, host)
		}
	}
	if len(rules) != len(good) {
		t.Errorf("rules %q, want one for each of %d entries", rules, len(good))
	}
}

// TestFileRootsNotExpanded: "" silently meant the policy's directory, and
// ~ and $VAR a directory of that literal name; each is now an error saying
// to write the path, and the schema refuses them too.
func TestFileRootsNotExpanded(t *testing.T) {
	src := `version: 1
roles:
  r:
    file_roots:
      - ""
      - "  "
      - ~/logs
      - ~ops/logs
      - $HOME/logs
      - /srv/${APP}/cache
`
	want := []string{
		`p.yaml:5:9: file_roots: an empty root would be this policy file's directory; write the directory, as an absolute path (or "." if the policy's own directory is meant)`,
		`p.yaml:6:9: file_roots: an empty root would be this policy file's directory; write the directory, as an absolute path (or "." if the policy's own directory is meant)`,
		`p.yaml:7:9: file_roots: "~/logs" is not expanded: ~ is not a home directory here; write the absolute path, like /home/NAME/logs`,
		`p.yaml:8:9: file_roots: "~ops/logs" is not expanded: ~ is not a home directory here; write the absolute path`,
		`p.yaml:9:9: file_roots: "$HOME/logs" is not expanded: environment variables are not read here; write the absolute path`,
		`p.yaml:10:9: file_roots: "/srv/${APP}/cache" is not expanded: environment variables are not read here; write the absolute path`,
	}
	if diff := cmp.Diff(want, loadDiags(t, "p.yaml", src)); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	s := schematest.Compile(t, "policy")
	for _, root := range []string{`""`, `"  "`, `"~/logs"`, `"$HOME/logs"`, `"/srv/${APP}/cache"`} {
		if err := s.Validate(yamlToJSON(t, []byte("version: 1\nroles: {r: {file_roots: ["+root+"]}}\n"))); err == nil {
			t.Errorf("the schema accepts file_roots: [%s]", root)
		}
	}

	// Absolute and relative roots still load; relative ones, and ".",
	// are under the policy's directory.
	dir := t.TempDir()
	file := filepath.Join(dir, "policy.yaml")
	ok := "version: 1\nroles:\n  r: {file_roots: [/var/log/app, cache, ., a~b/x]}\n"
	p, err := ParsePolicy(file, []byte(ok), testRegistry(t))
	if err != nil {
		t.Fatal(err)
	}
	wantRoots := []string{"/var/log/app", filepath.Join(dir, "cache"), dir, filepath.Join(dir, "a~b/x")}
	if diff := cmp.Diff(wantRoots, p.Roles["r"].FileRoots); diff != "" {
		t.Errorf("roots (-want +got):\n%s", diff)
	}
	if err := s.Validate(yamlToJSON(t, []byte(ok))); err != nil {
		t.Errorf("the schema refuses good roots: %v", err)
	}
}

// chain writes roles r0..r(n-1), each inheriting the next two: a
// ladder with about 2^n paths from r0, through which the old cycle check
// walked every one.
func chain(n int, extra string) string {
	var b strings.Builder
	b.WriteString("version: 1\nroles:\n")
	for i := range n {
		var in []string
		for _, j := range []int{i + 1, i + 2} {
			if j < n {
				in = append(in, fmt.Sprintf("r%d", j))
			}
		}
		if i == n-1 && extra != "" {
			in = append(in, extra)
		}
		fmt.Fprintf(&b, "  r%d: {inherits: [%s]}\n", i, strings.Join(in, ", "))
	}
	return b.String()
}

// TestInheritanceCheckIsLinear: 60 roles each inheriting the next two
// load (the old check never finished, so this test ran into the suite's
// timeout); with the last inheriting the first, the one group of roles
// in a cycle is reported once.
func TestInheritanceCheckIsLinear(t *testing.T) {
	if got := loadDiags(t, "p.yaml", chain(60, "")); got != nil {
		t.Fatalf("the acyclic ladder: %q", got)
	}
	got := loadDiags(t, "p.yaml", chain(60, "r0"))
	if len(got) != 1 {
		t.Fatalf("want one report of the cycle, got %d: %q", len(got), got)
	}
	odd := []string{"r0"}
	for i := 1; i < 60; i += 2 {
		odd = append(odd, fmt.Sprintf("r%d", i))
	}
	prefix := "p.yaml:3:3: roles inherit in a cycle: " + strings.Join(odd, " -> ") + " -> r0 (and r10, r12, "
	if !strings.HasPrefix(got[0], prefix) || !strings.HasSuffix(got[0], "in cycles with these); remove an inherits entry to break it") {
		t.Errorf("got  %s\nwant %s…", got[0], prefix)
	}
}

// TestEveryInheritanceCycle: each independent cycle is reported, at the
// position of its first role by name, not only the first one found; a
// role that merely inherits a cycle is not blamed for it; and the report
// is the same on every load.
func TestEveryInheritanceCycle(t *testing.T) {
	src := `version: 1
roles:
  d: {inherits: [c]}
  c: {inherits: [d, viewer]}
  x: {inherits: [a]}
  b: {inherits: [a]}
  a: {inherits: [b]}
  self: {inherits: [self]}
  f: {inherits: [g, h]}
  g: {inherits: [h]}
  h: {inherits: [f]}
`
	want := []string{
		"p.yaml:4:3: roles inherit in a cycle: c -> d -> c; remove an inherits entry to break it",
		"p.yaml:7:3: roles inherit in a cycle: a -> b -> a; remove an inherits entry to break it",
		"p.yaml:8:3: roles inherit in a cycle: self -> self; remove an inherits entry to break it",
		"p.yaml:9:3: roles inherit in a cycle: f -> h -> f (and g in cycles with these); remove an inherits entry to break it",
	}
	for range 5 {
		if diff := cmp.Diff(want, loadDiags(t, "p.yaml", src)); diff != "" {
			t.Fatalf("(-want +got):\n%s", diff)
		}
	}
}

// TestDuplicateGrants: two grants of one playbook (after resolving the
// path against the policy's directory) were accepted, and grantFor took
// whichever came first in role order, falling through from a pinned grant
// whose hash no longer matched to an unpinned one. Both are now errors,
// in one role and across roles, naming both positions.
func TestDuplicateGrants(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "policy.yaml")
	hash := strings.Repeat("ab", 32)
	src := `version: 1
roles:
  oncall:
    playbooks:
      - {path: runbooks/restart.yaml, sha256: "` + hash + `", as: admin}
      - {path: ./runbooks/restart.yaml, as: admin}
      - {path: runbooks/other.yaml, as: operator}
  sre:
    playbooks:
      - {path: runbooks/restart.yaml, as: operator}
      - {path: ` + filepath.Join(dir, "runbooks", "other.yaml") + `, as: admin}
      - {path: elsewhere/restart.yaml, as: admin}
`
	want := []string{
		file + `:6:16: playbook "./runbooks/restart.yaml" (written "runbooks/restart.yaml" in the first grant) is granted twice by role oncall, at 5:16 and 6:16; keep one grant per runbook`,
		file + `:10:16: playbook "runbooks/restart.yaml" is granted twice: by role oncall at 5:16 and role sre at 10:16; keep one grant per runbook (a caller with both roles would get whichever grant comes first)`,
		file + `:11:16: playbook "` + filepath.Join(dir, "runbooks", "other.yaml") + `" (written "runbooks/other.yaml" in the first grant) is granted twice: by role oncall at 7:16 and role sre at 11:16; keep one grant per runbook (a caller with both roles would get whichever grant comes first)`,
	}
	if diff := cmp.Diff(want, loadDiags(t, file, src)); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	// One grant per runbook, in as many roles as there are runbooks, loads.
	if got := loadDiags(t, file, `version: 1
roles:
  oncall: {playbooks: [{path: runbooks/restart.yaml, as: admin}]}
  sre: {playbooks: [{path: runbooks/other.yaml, as: admin}, {path: other/restart.yaml, as: admin}]}
`); got != nil {
		t.Errorf("distinct grants: %q", got)
	}
	// A grant repeated through an alias is one position in the file:
	// the message names the alias of the second grant.
	got := loadDiags(t, file, `version: 1
roles:
  oncall: {playbooks: [&restart {path: runbooks/restart.yaml, as: admin}]}
  sre: {playbooks: [*restart]}
`)
	want = []string{file + `:3:40: in a playbook grant of role sre, through *restart at line 4, column 21: playbook "runbooks/restart.yaml" is granted twice: by role oncall at 3:40 and role sre at 3:40; keep one grant per runbook (a caller with both roles would get whichever grant comes first)`}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("a grant repeated through an alias (-want +got):\n%s", diff)
	}
}

// TestCacheAllowPattern: a pattern in cache.allow was called an unknown
// operation; the error now says patterns are not allowed there and names
// the operations to list instead.
func TestCacheAllowPattern(t *testing.T) {
	got := loadDiags(t, "c.yaml", "version: 1\ncache:\n  allow: [shell.*, \"*\", file.write]\n")
	want := []string{
		`c.yaml:3:11: cache.allow: "shell.*" is a pattern, and patterns are not allowed here: a cached write skips its change, so each operation is named exactly; list the ones meant by name (the shell operations: shell.exec)`,
		`c.yaml:3:20: cache.allow: "*" is a pattern, and patterns are not allowed here: a cached write skips its change, so each operation is named exactly; list the ones meant by name, like shell.exec`,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	// Without a registry to check names against, patterns are refused all
	// the same.
	if _, err := ParsePolicy("c.yaml", []byte("version: 1\ncache: {allow: [shell.*]}\n"), nil); err == nil || !strings.Contains(err.Error(), "patterns are not allowed here") {
		t.Errorf("without a registry: %v", err)
	}
}

// TestRateSchemaBound: the schema's rate pattern bounds the count as
// ParseRate does, 1 to MaxRate, leading zeros and all.
func TestRateSchemaBound(t *testing.T) {
	s := schematest.Compile(t, "policy")
	for _, r := range []string{"1/s", "50/s", "050/m", "999999/h", "1000000/h", "0001000000/s", "0/s", "000/m", "1000001/s", "9999999/s", "10000000/h", "-1/s", "1.5/s", "5/d", "/s"} {
		_, perr := ParseRate(r)
		serr := s.Validate(yamlToJSON(t, []byte("version: 1\nrate: {per_key: \""+r+"\"}\n")))
		if (perr == nil) != (serr == nil) {
			t.Errorf("rate %q: ParseRate says %v, the schema %v", r, perr, serr)
		}
	}
	if _, err := ParseRate(fmt.Sprintf("%d/s", MaxRate)); err != nil {
		t.Errorf("MaxRate: %v", err)
	}
}

// TestOpPatternWithoutCategory: ".*", written as a regular expression for
// "everything", was taken as a category pattern: the registry lists every
// operation for the category "", so it loaded, and matched none, so that
// deny: [".*"] denied nothing. It is an error now, as the schema says.
func TestOpPatternWithoutCategory(t *testing.T) {
	s := schematest.Compile(t, "policy")
	for _, what := range []string{"allow", "deny"} {
		src := "version: 1\nroles:\n  r:\n    max_risk: write\n    " + what + `: [".*"]` + "\n"
		got := loadDiags(t, "p.yaml", src)
		want := []string{`p.yaml:5:` + fmt.Sprint(len(what)+8) + `: ` + what + ` pattern ".*" names no category: patterns are not regular expressions; write "*" for every operation, or a category, like "process.*"`}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("%s: [.*] (-want +got):\n%s", what, diff)
		}
		if err := s.Validate(yamlToJSON(t, []byte(src))); err == nil {
			t.Errorf("the schema accepts %s: [.*]", what)
		}
		if _, err := ParsePolicy("p.yaml", []byte(src), nil); err == nil {
			t.Errorf("%s: [.*] loads without a registry", what)
		}
	}
}
