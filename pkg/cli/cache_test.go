package cli

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/arsenal-run/arsenal-run/pkg/history"
)

// TestCacheEndToEnd caches a shell step through the command line: refused
// without a policy that allows it, then a miss, a hit that shows in the
// text summary and the report, and cache list and clear.
func TestCacheEndToEnd(t *testing.T) {
	dir := t.TempDir()
	state := filepath.Join(dir, "state")
	pb := writePlaybook(t, dir, "pb.yaml", `version: 1
name: cached-shell
steps:
  - id: pid
    op: shell.exec
    with: {script: 'echo $$'}
    cache: {ttl: 1h}
`)
	policy := writePlaybook(t, dir, "policy.yaml", "version: 1\ncache: {allow: [shell.exec]}\n")

	r := runMain(t, "run", pb, "--state-dir", state)
	if r.code != ExitUsage || !strings.Contains(r.stderr, "pb.yaml:7:12: cache: shell.exec is a write operation") || !strings.Contains(r.stderr, "nothing ran") {
		t.Fatalf("without the policy: exit %d\n%s", r.code, r.stderr)
	}
	var outs []string
	for i, want := range []bool{false, true} {
		rep := filepath.Join(dir, "r.json")
		r := runMain(t, "run", pb, "--state-dir", state, "--policy", policy, "--report", rep)
		if r.code != ExitOK {
			t.Fatalf("run %d: exit %d\n%s", i+1, r.code, r.stderr)
		}
		s := readReport(t, rep).Steps[0]
		if s.Cached != want {
			t.Fatalf("run %d: cached %v, want %v", i+1, s.Cached, want)
		}
		if want && !strings.Contains(r.stdout, "cached: output from an entry") {
			t.Errorf("the summary does not say the step was cached:\n%s", r.stdout)
		}
		outs = append(outs, s.Output.(map[string]any)["stdout"].(string))
	}
	if outs[0] != outs[1] {
		t.Errorf("the hit answered %q, the run that filled the cache printed %q", outs[1], outs[0])
	}
	if r := runMain(t, "run", pb, "--state-dir", state, "--policy", policy, "--log-format", "json"); !strings.Contains(r.stderr, `"cached":"true"`) {
		t.Errorf("the log line of a hit does not say cached:\n%s", r.stderr)
	}

	r = runMain(t, "cache", "list", "--json", "--state-dir", state)
	var list []map[string]any
	if err := json.Unmarshal([]byte(r.stdout), &list); err != nil || r.code != ExitOK {
		t.Fatalf("cache list --json: exit %d, %v\n%s%s", r.code, err, r.stdout, r.stderr)
	}
	if len(list) != 1 || list[0]["op"] != "shell.exec" || list[0]["playbook"] != "cached-shell" || list[0]["step"] != "pid" {
		t.Errorf("entries: %v", list)
	}
	if r := runMain(t, "cache", "list", "--state-dir", state); !strings.Contains(r.stdout, "shell.exec") || !strings.Contains(r.stdout, "cached-shell") {
		t.Errorf("cache list:\n%s", r.stdout)
	}
	if r := runMain(t, "cache", "clear", "--op", "http.request", "--state-dir", state); r.stdout != "removed 0 cache entries\n" ||
		!strings.Contains(r.stderr, `no entry has --op "http.request"; the entries are of shell.exec`) {
		t.Errorf("clear of another op: %q %q", r.stdout, r.stderr)
	}
	if r := runMain(t, "cache", "list", "--playbook", "cached-shel", "--state-dir", state); r.stdout != "no cache entries\n" ||
		!strings.Contains(r.stderr, `no entry has --playbook "cached-shel" (did you mean "cached-shell"?); the entries are of cached-shell`) {
		t.Errorf("list of a misspelt playbook: %q %q", r.stdout, r.stderr)
	}
	if r := runMain(t, "cache", "clear", "--playbook", "cached-shell", "--state-dir", state); r.stdout != "removed 1 cache entry\n" {
		t.Errorf("clear of the playbook: %q", r.stdout)
	}
	if r := runMain(t, "cache", "lst"); r.code != ExitUsage || !strings.Contains(r.stderr, `did you mean "list"?`) {
		t.Errorf("a misspelled subcommand: exit %d %s", r.code, r.stderr)
	}
}

// TestCacheInASubPlaybook: a sub-playbook's cached step is served from
// the cache though the playbook that calls it caches nothing itself.
func TestCacheInASubPlaybook(t *testing.T) {
	dir := t.TempDir()
	state := filepath.Join(dir, "state")
	writePlaybook(t, dir, "sub.yaml", `version: 1
name: sub
steps:
  - id: facts
    op: system.info
    cache: {ttl: 1h}
`)
	parent := writePlaybook(t, dir, "parent.yaml", `version: 1
name: parent
steps:
  - id: call
    op: playbook.run
    with: {path: sub.yaml}
`)
	for i, want := range []bool{false, true} {
		r := runMain(t, "run", parent, "--state-dir", state, "--log-format", "json")
		if r.code != ExitOK {
			t.Fatalf("run %d: exit %d\n%s", i+1, r.code, r.stderr)
		}
		hit := false
		for _, line := range strings.Split(r.stderr, "\n") {
			hit = hit || strings.Contains(line, `"step":"facts"`) && strings.Contains(line, `"cached":"true"`)
		}
		if hit != want {
			t.Errorf("run %d: cache hit %v, want %v\n%s", i+1, hit, want, r.stderr)
		}
	}
}

// TestCacheKeepsScopesAndDirectoriesApart: a hit never gives a caller
// what its scope forbids (a role with no file roots does not read the file
// another role's run cached), and two playbooks reading the same relative
// path in different directories do not share an entry.
func TestCacheKeepsScopesAndDirectoriesApart(t *testing.T) {
	dir := t.TempDir()
	state := filepath.Join(dir, "state")
	read := "version: 1\nname: rd\nsteps:\n  - id: r\n    op: file.read\n    with: {path: %s}\n    cache: {ttl: 10m}\n"
	for _, d := range []string{"a", "b"} {
		if err := os.Mkdir(filepath.Join(dir, d), 0o755); err != nil {
			t.Fatal(err)
		}
		writePlaybook(t, filepath.Join(dir, d), "data.txt", "content of "+d)
		writePlaybook(t, filepath.Join(dir, d), "pb.yaml", fmt.Sprintf(read, "data.txt"))
	}
	for _, d := range []string{"a", "b"} {
		rep := filepath.Join(dir, d, "r.json")
		runMain(t, "run", filepath.Join(dir, d, "pb.yaml"), "--state-dir", state, "--report", rep).want(t, ExitOK, nil, nil)
		s := readReport(t, rep).Steps[0]
		if got := s.Output.(map[string]any)["content"]; s.Cached || got != "content of "+d {
			t.Errorf("playbook %s read %q (cached %v), want its own data.txt", d, got, s.Cached)
		}
	}

	abs := writePlaybook(t, dir, "abs.yaml", fmt.Sprintf(read, filepath.Join(dir, "a", "data.txt")))
	policy := writePlaybook(t, dir, "policy.yaml", "version: 1\nroles:\n  narrow: {max_risk: read, file_roots: []}\n")
	runMain(t, "run", abs, "--state-dir", state).want(t, ExitOK, nil, nil) // fills the cache
	rep := filepath.Join(dir, "narrow.json")
	r := runMain(t, "run", abs, "--state-dir", state, "--policy", policy, "--role", "narrow", "--report", rep)
	s := readReport(t, rep).Steps[0]
	if r.code == ExitOK || s.Cached || s.Output != nil {
		t.Errorf("a role with no file roots: exit %d, cached %v, output %v; want the read refused, as without the cache", r.code, s.Cached, s.Output)
	}
}

// TestCacheErrorNamesTheStateAndExits1: a cache that cannot be read or
// cleared is reported with the state dir it is in, and exits 1, as the
// help says.
func TestCacheErrorNamesTheStateAndExits1(t *testing.T) {
	state := filepath.Join(t.TempDir(), "state")
	s, err := history.Open(state)
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	db, err := sql.Open("sqlite", filepath.Join(state, history.FileName))
	if err != nil {
		t.Fatal(err)
	}
	_, err = db.Exec(`DROP TABLE cache`)
	db.Close()
	if err != nil {
		t.Fatal(err)
	}
	for _, sub := range []string{"list", "clear"} {
		r := runMain(t, "cache", sub, "--state-dir", state)
		if r.code != ExitFailed || !strings.HasPrefix(r.stderr, "arsenal-run cache "+sub+": --state-dir "+state+": ") {
			t.Errorf("cache %s of a damaged database: exit %d\n%s", sub, r.code, r.stderr)
		}
	}
	if r := runMain(t, "cache", "--help"); !strings.Contains(r.stdout, "1 the cache could not be read or cleared") {
		t.Errorf("cache --help does not give exit 1:\n%s", r.stdout)
	}
}

// TestCacheOfANewStateDir: a state dir no run has recorded in yet has an
// empty cache, which list and clear say, with where runs record one,
// rather than refusing the command as though the dir were wrong.
func TestCacheOfANewStateDir(t *testing.T) {
	state := filepath.Join(t.TempDir(), "state")
	note := "no run has recorded anything in " + state + " yet; runs cache their steps there with 'run --state-dir " + state + "'"
	runMain(t, "cache", "list", "--state-dir", state).want(t, ExitOK, []string{"no cache entries\n"}, []string{note})
	runMain(t, "cache", "clear", "--state-dir", state).want(t, ExitOK, []string{"removed 0 cache entries\n"}, []string{note})
	if r := runMain(t, "cache", "list", "--json", "--state-dir", state); r.code != ExitOK || r.stdout != "[]\n" {
		t.Errorf("cache list --json: exit %d, stdout %q", r.code, r.stdout)
	}
	if _, err := os.Stat(state); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("the state dir was made by reading its cache: %v", err)
	}
}

// TestCacheFilterOfAnEmptyOrDisjointCache: a --playbook or --op that no
// entry has is said so on an empty cache too, and so are two names that
// entries have, each, but no entry both.
func TestCacheFilterOfAnEmptyOrDisjointCache(t *testing.T) {
	state := filepath.Join(t.TempDir(), "state")
	s, err := history.Open(state)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	runMain(t, "cache", "clear", "--op", "nope", "--state-dir", state).
		want(t, ExitOK, []string{"removed 0 cache entries\n"}, []string{`cache: no entry has --op "nope": the cache is empty`})
	runMain(t, "cache", "list", "--playbook", "x", "--op", "nope", "--state-dir", state).
		want(t, ExitOK, []string{"no cache entries\n"}, []string{`no entry has --playbook "x" or --op "nope": the cache is empty`})
	now := time.Now()
	for i, e := range []history.CacheEntry{{Key: "k1", Op: "system.info", Playbook: "a"}, {Key: "k2", Op: "file.read", Playbook: "b"}} {
		e.Output, e.CreatedAt, e.ExpiresAt = json.RawMessage(`{}`), now, now.Add(time.Hour)
		if err := s.CachePut(context.Background(), e); err != nil {
			t.Fatalf("entry %d: %v", i, err)
		}
	}
	runMain(t, "cache", "clear", "--playbook", "a", "--op", "file.read", "--state-dir", state).
		want(t, ExitOK, []string{"removed 0 cache entries\n"}, []string{`no entry has both --playbook "a" and --op "file.read"`})
}
