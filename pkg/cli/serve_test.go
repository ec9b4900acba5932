package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/arsenal-run/arsenal-run/pkg/engine"
	"github.com/arsenal-run/arsenal-run/pkg/report"
	"github.com/arsenal-run/arsenal-run/pkg/server"
)

// serveFixture is a state dir, playbooks and a keys file with one admin
// and one viewer key.
type serveFixture struct {
	dir, keys, playbooks, state string
	admin, viewer               string
}

func newServeFixture(t *testing.T) *serveFixture {
	t.Helper()
	dir := t.TempDir()
	f := &serveFixture{dir: dir, playbooks: filepath.Join(dir, "playbooks"), state: filepath.Join(dir, "state")}
	os.Mkdir(f.playbooks, 0o755)
	writePlaybook(t, f.playbooks, "sleeper.yaml", sleeper)
	writePlaybook(t, f.playbooks, "hello.yaml", "version: 1\nname: hello\ninputs:\n  who: {type: string, default: world}\nsteps:\n  - {id: greet, op: control.log, with: {message: \"hello ${{ inputs.who }}\"}}\n  - {id: second, op: control.noop}\n")
	writePlaybook(t, f.playbooks, "broken.yaml", "version: 1\nname: broken\nsteps:\n  - {id: boom, op: control.fail, with: {message: boom}}\n")
	var entries []string
	for _, k := range []struct{ name, role string }{{"admin", "admin"}, {"viewer", "viewer"}} {
		key, digest, err := server.NewKey()
		if err != nil {
			t.Fatal(err)
		}
		entries = append(entries, fmt.Sprintf("  - {name: %s, sha256: %s, roles: [%s]}", k.name, digest, k.role))
		if k.name == "admin" {
			f.admin = key
		} else {
			f.viewer = key
		}
	}
	f.keys = filepath.Join(dir, "keys.yaml")
	if err := os.WriteFile(f.keys, []byte("version: 1\nkeys:\n"+strings.Join(entries, "\n")+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return f
}

var listenRE = regexp.MustCompile(`listening on (http://127\.0\.0\.1:[0-9]+)`)

// serve starts the built binary's serve and returns its base URL.
func (f *serveFixture) serve(t *testing.T, extra ...string) (*started, string) {
	t.Helper()
	args := []string{"serve"}
	for _, d := range [][2]string{{"--listen", "127.0.0.1:0"}, {"--keys", f.keys}, {"--playbooks", f.playbooks}, {"--state-dir", f.state}} {
		// A flag in extra replaces the fixture's: serve refuses one given twice.
		if !slices.Contains(extra, d[0]) {
			args = append(args, d[0], d[1])
		}
	}
	args = append(args, extra...)
	p := start(t, "listening on", args...)
	t.Cleanup(func() {
		if p.cmd.ProcessState == nil {
			p.cmd.Process.Kill()
			<-p.done
		}
	})
	m := listenRE.FindStringSubmatch(p.stderr.String())
	if m == nil {
		t.Fatalf("no address in %q", p.stderr.String())
	}
	return p, m[1]
}

func apiCall(t *testing.T, method, url, key string, body any) (int, map[string]any) {
	t.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, url, rd)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+key)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer res.Body.Close()
	var m map[string]any
	json.NewDecoder(res.Body).Decode(&m)
	return res.StatusCode, m
}

// SIGTERM stops accepting, lets the request in flight finish, cancels the
// run still going (its finally runs, it is recorded cancelled) and exits 0.
func TestServeDrainsOnSIGTERM(t *testing.T) {
	f := newServeFixture(t)
	p, base := f.serve(t, "--grace", "20s")
	code, started := apiCall(t, "POST", base+"/api/v1/playbooks/sleeper/runs", f.admin, map[string]any{})
	if code != 202 {
		t.Fatalf("start: %d %v", code, started)
	}
	id := started["run_id"].(string)
	deadline := time.Now().Add(20 * time.Second)
	for {
		_, rep := apiCall(t, "GET", base+"/api/v1/runs/"+id, f.admin, nil)
		if steps, _ := rep["steps"].([]any); len(steps) == 2 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the run did not reach its nap: %v", rep)
		}
		time.Sleep(20 * time.Millisecond)
	}
	var wg sync.WaitGroup
	var inflight int
	var inflightBody map[string]any
	wg.Add(1)
	go func() {
		defer wg.Done()
		inflight, inflightBody = apiCall(t, "POST", base+"/api/v1/operations/control.sleep/execute", f.admin, map[string]any{"params": map[string]any{"duration": "1500ms"}})
	}()
	time.Sleep(300 * time.Millisecond)
	p.cmd.Process.Signal(syscall.SIGTERM)
	wg.Wait()
	if c := p.wait(t); c != ExitOK {
		t.Errorf("exit %d, want 0\n%s", c, p.stderr.String())
	}
	if inflight != 200 {
		t.Errorf("the request in flight got %d %v, want 200", inflight, inflightBody)
	}
	if _, err := http.Get(base + "/healthz"); err == nil {
		t.Error("the server still accepts connections")
	}
	rep, err := report.Read(filepath.Join(f.state, "reports", id+".json"))
	if err != nil {
		t.Fatal(err)
	}
	got := statuses(rep)
	if rep.Status != report.StatusCancelled || got["nap"] != report.StatusCancelled || got["cleanup"] != report.StatusSucceeded {
		t.Errorf("the run ended %s with steps %v; want cancelled, with finally run", rep.Status, got)
	}
	res := runMain(t, "history", "--state-dir", f.state, "--playbook", "sleeper")
	if !strings.Contains(res.stdout, "cancelled") {
		t.Errorf("history does not record the run cancelled:\n%s%s", res.stdout, res.stderr)
	}
}

// Every line serve writes once it runs is a log line of one format: the
// server's own (start, a reload's problems, stop) as well as the runs'.
func TestServeLogsEveryLineInOneFormat(t *testing.T) {
	console := regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}(Z|[+-]\d\d:\d\d) (DBG|INF|WRN|ERR) `)
	for _, format := range []string{"console", "json"} {
		t.Run(format, func(t *testing.T) {
			f := newServeFixture(t)
			p, base := f.serve(t, "--log-format", format, "--log-level", "info")
			if code, out := apiCall(t, "POST", base+"/api/v1/operations/control.noop/execute", f.admin, map[string]any{}); code != 200 {
				t.Fatalf("execute: %d %v", code, out)
			}
			// A denied execute is a failed run too: it ends with its
			// run finished line at warn.
			if code, out := apiCall(t, "POST", base+"/api/v1/operations/shell.exec/execute", f.viewer, map[string]any{"params": map[string]any{"command": []any{"true"}}}); code != 403 {
				t.Fatalf("viewer's shell.exec: %d %v", code, out)
			}
			os.WriteFile(f.keys, []byte("version: 1\nkeys:\n  - {name: x, sha256: nothex, roles: [viewer]}\n"), 0o600)
			p.cmd.Process.Signal(syscall.SIGHUP)
			p.waitFor(t, "SIGHUP: kept the previous")
			p.cmd.Process.Signal(syscall.SIGTERM)
			if c := p.wait(t); c != ExitOK {
				t.Fatalf("exit %d\n%s", c, p.stderr.String())
			}
			// level and message of each line
			var got []string
			for line := range strings.Lines(p.stderr.String()) {
				line = strings.TrimSuffix(line, "\n")
				if format == "console" {
					if !console.MatchString(line) {
						t.Errorf("not a console log line: %q", line)
					}
					got = append(got, line[13:])
					continue
				}
				var l struct {
					Level, Message, File string
					Line, Column         int
				}
				if err := json.Unmarshal([]byte(line), &l); err != nil || l.Level == "" || l.Message == "" {
					t.Errorf("not a JSON log line: %q", line)
				}
				tag := map[string]string{"debug": "DBG", "info": "INF", "warn": "WRN", "error": "ERR"}[l.Level]
				if l.File != "" {
					// A problem of a refused reload: its position is in
					// the file, line and column fields, as schedule
					// writes it, not in the message.
					if strings.HasPrefix(l.Message, l.File) {
						t.Errorf("the position is in the message too: %q", line)
					}
					l.Message = fmt.Sprintf("%s:%d:%d: %s", l.File, l.Line, l.Column, l.Message)
				} else if strings.HasPrefix(l.Message, f.keys+":") {
					t.Errorf("a problem's position is in its message, not in file, line and column: %q", line)
				}
				got = append(got, tag+" "+l.Message)
			}
			lines := strings.Join(got, "\n")
			for _, want := range []string{"INF listening on", "INF run finished", "ERR run finished", "ERR " + f.keys + ":3:23: sha256 must be",
				"ERR SIGHUP: kept the previous keys", "INF SIGTERM: no new requests", "INF stopped"} {
				if !strings.Contains(lines, want) {
					t.Errorf("no line %q in\n%s", want, lines)
				}
			}
		})
	}
}

// Start-up problems exit 2 naming file:line:col.
func TestServeRefusesBadConfiguration(t *testing.T) {
	f := newServeFixture(t)
	badKeys := filepath.Join(f.dir, "bad-keys.yaml")
	os.WriteFile(badKeys, []byte("version: 1\nkeys:\n  - {name: ci, sha256: nothex, roles: [operator]}\n"), 0o600)
	unknownRole := filepath.Join(f.dir, "role-keys.yaml")
	os.WriteFile(unknownRole, []byte("version: 1\nkeys:\n  - {name: ci, sha256: "+strings.Repeat("a", 64)+", roles: [operater]}\n"), 0o600)
	badPolicy := filepath.Join(f.dir, "policy.yaml")
	os.WriteFile(badPolicy, []byte("version: 1\nrate: {per_key: fast}\n"), 0o600)
	badBooks := filepath.Join(f.dir, "bad-books")
	os.Mkdir(badBooks, 0o755)
	writePlaybook(t, badBooks, "x.yaml", "version: 1\nname: x\nsteps:\n  - {id: a, op: control.noop, wehn: true}\n")
	cachedBooks := filepath.Join(f.dir, "cached-books")
	os.Mkdir(cachedBooks, 0o755)
	writePlaybook(t, cachedBooks, "c.yaml", "version: 1\nname: c\nsteps:\n  - {id: a, op: shell.exec, with: {script: make}, cache: {ttl: 1h}}\n")
	goodPolicy := filepath.Join(f.dir, "good-policy.yaml")
	os.WriteFile(goodPolicy, []byte("version: 1\n"), 0o600)
	keysData := mustRead(t, f.keys)
	t.Cleanup(func() {
		if string(mustRead(t, f.keys)) != string(keysData) {
			t.Error("the keys file was changed")
		}
	})
	base := []string{"serve", "--state-dir", f.state, "--listen", "127.0.0.1:0"}
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"bad keys", []string{"--keys", badKeys}, "bad-keys.yaml:3:24: sha256 must be"},
		{"unknown role", []string{"--keys", unknownRole}, `role-keys.yaml:3:98: unknown role "operater" (did you mean "operator"?)`},
		{"bad policy", []string{"--keys", f.keys, "--policy", badPolicy}, `policy.yaml:2:17: rate.per_key: rate "fast"`},
		{"bad playbook", []string{"--keys", f.keys, "--playbooks", badBooks}, `x.yaml:4:31: unknown key "wehn"`},
		{"cached write", []string{"--keys", f.keys, "--playbooks", cachedBooks}, `c.yaml:4:58: cache: shell.exec is a write operation`},
		{"no keys", nil, "--keys FILE is required"},
		{"tls half", []string{"--keys", f.keys, "--tls-cert", "c.pem"}, "--tls-cert and --tls-key go together"},
		{"session too short", []string{"--keys", f.keys, "--session-ttl", "5s"}, "--session-ttl 5s: give a duration from 1m to 720h"},
		{"audit log on the keys", []string{"--keys", f.keys, "--audit-log", f.keys}, "--audit-log " + f.keys + ": it is the keys file (" + f.keys + "); the audit log would append to it: give another path; nothing was served"},
		{"audit log on a playbook", []string{"--keys", f.keys, "--playbooks", f.playbooks, "--audit-log", filepath.Join(f.playbooks, "hello.yaml")}, "it is a served playbook"},
		{"audit log on the policy", []string{"--keys", f.keys, "--policy", goodPolicy, "--audit-log", goodPolicy}, "--audit-log " + goodPolicy + ": it is the policy"},
		{"audit log on the report key", []string{"--keys", f.keys, "--audit-log", filepath.Join(f.state, "report.key")}, "it is the state dir's own report.key"},
		{"audit log on the session key", []string{"--keys", f.keys, "--audit-log", filepath.Join(f.state, "session.key")}, "it is the state dir's own session.key"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := runMain(t, append(base, tc.args...)...)
			if r.code != ExitUsage || !strings.Contains(r.stderr, tc.want) {
				t.Errorf("exit %d, stderr:\n%s\nwant 2 and %q", r.code, r.stderr, tc.want)
			}
		})
	}
}

// TestServeBrokenPolicyIsTheOneProblem: a policy file that does not load
// is reported, and the playbooks are not judged against the built-in
// policy standing in for it: a cache: that file allows is no problem.
func TestServeBrokenPolicyIsTheOneProblem(t *testing.T) {
	f := newServeFixture(t)
	pol := filepath.Join(f.dir, "policy.yaml")
	os.WriteFile(pol, []byte("version: 1\ncache: {allow: [shell.exec]}\nrate: {per_key: fast}\n"), 0o600)
	books := filepath.Join(f.dir, "books")
	os.Mkdir(books, 0o755)
	writePlaybook(t, books, "c.yaml", "version: 1\nname: c\nsteps:\n  - {id: a, op: shell.exec, with: {script: make}, cache: {ttl: 1h}}\n")
	r := runMain(t, "serve", "--state-dir", f.state, "--listen", "127.0.0.1:0", "--keys", f.keys, "--policy", pol, "--playbooks", books)
	if r.code != ExitUsage || !strings.Contains(r.stderr, `rate.per_key: rate "fast"`) || strings.Contains(r.stderr, "cache:") {
		t.Errorf("exit %d, stderr:\n%s\nwant 2, the policy's problem and no cache: problem", r.code, r.stderr)
	}
}

// serve serves the web console at / and its sessions: a sign-in sets a
// cookie that lasts --session-ttl, signed with a key made in the state
// dir (mode 0600); with --no-console the pages are gone and the API stays.
func TestServeConsole(t *testing.T) {
	f := newServeFixture(t)
	_, base := f.serve(t, "--session-ttl", "2h")
	res, err := http.Get(base + "/runs")
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != 200 || !strings.Contains(string(page), `<script type="module" src="/assets/js/app.js">`) || !strings.Contains(res.Header.Get("Content-Security-Policy"), "script-src 'self'") {
		t.Errorf("GET /runs: %d %v\n%s", res.StatusCode, res.Header, page)
	}
	body, _ := json.Marshal(map[string]string{"key": f.viewer})
	res, err = http.Post(base+"/api/v1/session", "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	cookies := res.Cookies()
	// The cookie outlives the 2 h session by a week, so that a page opened
	// after it expired is told so.
	if res.StatusCode != 201 || len(cookies) != 1 || cookies[0].MaxAge-7*24*3600 < 7190 || cookies[0].MaxAge-7*24*3600 > 7200 || !cookies[0].HttpOnly {
		t.Errorf("sign-in: %d %v", res.StatusCode, res.Header["Set-Cookie"])
	}
	if fi, err := os.Stat(filepath.Join(f.state, "session.key")); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("the session key: %v %v", fi, err)
	}

	g := newServeFixture(t)
	_, base = g.serve(t, "--no-console")
	res, err = http.Get(base + "/runs")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != 404 {
		t.Errorf("GET /runs with --no-console: %d", res.StatusCode)
	}
	if code, _ := apiCall(t, "GET", base+"/api/v1/runs", g.admin, nil); code != 200 {
		t.Errorf("the API with --no-console: %d", code)
	}
}

func TestKeysNew(t *testing.T) {
	r := runMain(t, "keys", "new", "--name", "ci", "--role", "operator", "--role", "viewer", "--expires", "2027-06-30")
	if r.code != ExitOK {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	key := strings.TrimSuffix(r.stdout, "\n")
	if !strings.HasPrefix(key, server.KeyPrefix) || len(key) < 35 || strings.ContainsAny(key, "\n ") {
		t.Errorf("standard output %q; want the key alone", r.stdout)
	}
	lines := strings.Split(r.stderr, "\n")
	entry := lines[len(lines)-2]
	keys, err := server.ParseKeys("keys.yaml", []byte("version: 1\nkeys:\n"+entry+"\n"))
	if err != nil {
		t.Fatalf("the printed entry does not load: %v\n%s", err, r.stderr)
	}
	if n, _ := keys.Len(); n != 1 || !strings.Contains(entry, "expires: 2027-06-30T00:00:00Z") || !strings.Contains(entry, "roles: [operator, viewer]") {
		t.Errorf("entry %q", entry)
	}
	// A new keys file made as the hint says loads: it starts with
	// version: 1 (serve refused a file of the entry alone).
	var file []string
	for _, l := range lines {
		if y, ok := strings.CutPrefix(l, "#   "); ok {
			file = append(file, y)
		}
	}
	if _, err := server.ParseKeys("keys.yaml", []byte(strings.Join(append(file, entry), "\n")+"\n")); err != nil || len(file) != 2 {
		t.Errorf("a keys file made as the hint says (%q) does not load: %v\n%s", file, err, r.stderr)
	}
	// Two keys are never the same.
	if r2 := runMain(t, "keys", "new", "--name", "ci", "--role", "operator"); strings.Split(r2.stdout, "\n")[0] == key {
		t.Error("keys new printed the same key twice")
	}
	for _, args := range [][]string{{"keys", "new", "--role", "x"}, {"keys", "new", "--name", "x"}, {"keys", "old", "--name", "x", "--role", "y"},
		{"keys", "new", "--name", "bad name", "--role", "y"}, {"keys", "new", "--name", "x", "--role", "y", "--expires", "soon"}} {
		if r := runMain(t, args...); r.code != ExitUsage {
			t.Errorf("%v: exit %d", args, r.code)
		}
	}
}

// TestKeysNewChecksWhatServeWill: a role the policy lacks or a name the
// keys file refuses is refused when the key is made, in the words of the
// flags given, not once serve loads the keys file.
func TestKeysNewChecksWhatServeWill(t *testing.T) {
	runMain(t, "keys", "new", "--name", "bob", "--role", "operater").want(t, ExitUsage, nil,
		[]string{`unknown role "operater" (did you mean "operator"?); the built-in policy (no --policy) defines admin, operator, viewer (give --policy FILE for the roles of serve's own policy)`})
	r := runMain(t, "keys", "new", "--name", "alice smith", "--role", "admin")
	r.want(t, ExitUsage, nil, []string{`--name: key name "alice smith": use up to 64 letters, digits, _ . @ and -`})
	if strings.Contains(r.stderr, "the entry") {
		t.Errorf("the message points into text the person never saw:\n%s", r.stderr)
	}
	dir := t.TempDir()
	policy := filepath.Join(dir, "policy.yaml")
	if err := os.WriteFile(policy, []byte("version: 1\nroles:\n  deployer: {allow: [control.*]}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if r := runMain(t, "keys", "new", "--name", "ci", "--role", "deployer", "--policy", policy); r.code != ExitOK || !strings.Contains(r.stderr, "roles: [deployer]") {
		t.Errorf("a role of --policy: exit %d\n%s", r.code, r.stderr)
	}
	r = runMain(t, "keys", "new", "--name", "ci", "--role", "deploer", "--policy", policy)
	r.want(t, ExitUsage, nil, []string{`unknown role "deploer" (did you mean "deployer"?)`})
	if strings.Contains(r.stderr, "give --policy") {
		t.Errorf("the hint to give --policy, although it was given:\n%s", r.stderr)
	}
}

// The remote client against a real server: operations, executes, runs
// followed to their end, listings and cancel, with the documented exit
// codes.
func TestRemote(t *testing.T) {
	f := newServeFixture(t)
	_, base := f.serve(t)
	remote := func(key string, args ...string) result {
		t.Helper()
		return runEnv(t, map[string]string{"ARSENAL_API_KEY": key, "ARSENAL_SERVER": base}, append([]string{"remote"}, args...)...)
	}
	if r := remote(f.viewer, "ops", "list", "--category", "control"); r.code != 0 || !strings.Contains(r.stdout, "control.sleep") || strings.Contains(r.stdout, "shell.exec") {
		t.Errorf("ops list: %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	r := remote(f.viewer, "exec", "control.set", "--param", "n=3", "--param", "who=ci", "--param", "list=[1,2]")
	var out map[string]any
	if r.code != 0 || json.Unmarshal([]byte(r.stdout), &out) != nil || out["n"] != 3.0 || out["who"] != "ci" {
		t.Errorf("exec: %d %v\n%s%s", r.code, out, r.stdout, r.stderr)
	}
	if r := remote(f.viewer, "exec", "shell.exec", "--param", `command=["true"]`); r.code != ExitDenied || !strings.Contains(r.stderr, "403") {
		t.Errorf("denied exec: %d %s", r.code, r.stderr)
	}
	if r := remote(f.viewer, "exec", "control.fail", "--param", "message=no"); r.code != ExitFailed {
		t.Errorf("failed exec: %d %s", r.code, r.stderr)
	}
	if r := remote("ak_wrong", "exec", "control.noop"); r.code != ExitDenied || !strings.Contains(r.stderr, "401") {
		t.Errorf("bad key: %d %s", r.code, r.stderr)
	}
	if r := remote(f.viewer, "exec", "control.nope"); r.code != ExitUsage {
		t.Errorf("unknown op: %d %s", r.code, r.stderr)
	}

	r = remote(f.admin, "run", "hello", "--input", "who=remote", "--follow")
	if r.code != ExitOK || !strings.Contains(r.stderr, "greet") || !strings.Contains(r.stderr, "second") || !strings.Contains(r.stdout, "succeeded") {
		t.Errorf("run --follow: %d\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
	}
	if r := remote(f.admin, "run", "broken", "--wait"); r.code != ExitFailed || !strings.Contains(r.stdout, "boom") {
		t.Errorf("run --wait of a failing playbook: %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if r := remote(f.admin, "run", "hello", "--input", "whom=x"); r.code != ExitUsage || !strings.Contains(r.stderr, "inputs.whom") {
		t.Errorf("bad input: %d %s", r.code, r.stderr)
	}
	// An input is read by its declared type, as run reads it: 123 is
	// text for the string input who.
	if r := remote(f.admin, "run", "hello", "--input", "who=123", "--wait"); r.code != ExitOK {
		t.Errorf("run with who=123: %d %s%s", r.code, r.stdout, r.stderr)
	}
	if r := remote(f.admin, "run", "helo"); r.code != ExitUsage || !strings.Contains(r.stderr, `did you mean "hello"?`) {
		t.Errorf("run of a misspelt playbook: %d %s", r.code, r.stderr)
	}
	r = remote(f.admin, "run", "sleeper")
	if r.code != 0 {
		t.Fatalf("run: %d %s", r.code, r.stderr)
	}
	id := strings.Fields(r.stdout)[0]
	if r := remote(f.viewer, "runs", "--playbook", "hello"); r.code != 0 || !strings.Contains(r.stdout, "hello") || strings.Contains(r.stdout, "sleeper") || !strings.Contains(r.stdout, "STARTED (UTC)") {
		t.Errorf("runs: %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if r := remote(f.admin, "cancel", id); r.code != 0 || !strings.Contains(r.stdout, "cancelling "+id) {
		t.Errorf("cancel: %d %s%s", r.code, r.stdout, r.stderr)
	}
	if r := remote(f.admin, "cancel", "no-such-run"); r.code != ExitUsage {
		t.Errorf("cancel of an unknown run: %d %s", r.code, r.stderr)
	}
	if r := runEnv(t, map[string]string{}, "remote", "ops", "list"); r.code != ExitUsage || !strings.Contains(r.stderr, "--server") {
		t.Errorf("no server: %d %s", r.code, r.stderr)
	}
	// The key typed where its variable's name goes is refused, and not
	// repeated (it would end up in logs).
	for _, v := range []string{f.admin, "my key"} {
		r := runEnv(t, map[string]string{}, "remote", "--server", "http://127.0.0.1:1", "--key-env", v, "ops", "list")
		if r.code != ExitUsage || !strings.Contains(r.stderr, "--key-env takes the name of an environment variable") || strings.Contains(r.stderr, v) {
			t.Errorf("--key-env %q: %d %s", v, r.code, r.stderr)
		}
	}
	// A malformed --input is refused before anything is asked of the
	// server: port 1 refuses every connection.
	r = runEnv(t, map[string]string{"ARSENAL_API_KEY": "ak_x"}, "remote", "--server", "http://127.0.0.1:1", "run", "hello", "--input", "who")
	if r.code != ExitUsage || !strings.Contains(r.stderr, `--input "who": write it as name=value`) || strings.Contains(r.stderr, "refused") {
		t.Errorf("--input who: %d %s", r.code, r.stderr)
	}
}

// SIGHUP reloads the keys file, all or nothing; runs see only the
// variables of --env-passthrough.
func TestServeReloadsOnSIGHUP(t *testing.T) {
	f := newServeFixture(t)
	t.Setenv("SERVE_TEST_VISIBLE", "shown")
	t.Setenv("SERVE_TEST_HIDDEN", "hunter2")
	p, base := f.serve(t, "--env-passthrough", "SERVE_TEST_VISIBLE,PATH")
	code, out := apiCall(t, "POST", base+"/api/v1/operations/shell.exec/execute", f.admin, map[string]any{"params": map[string]any{"command": []string{"env"}}})
	if code != 200 {
		t.Fatalf("execute: %d %v", code, out)
	}
	if env := out["result"].(map[string]any)["stdout"].(string); !strings.Contains(env, "SERVE_TEST_VISIBLE=shown") || strings.Contains(env, "hunter2") {
		t.Errorf("the command saw:\n%s\nwant SERVE_TEST_VISIBLE and not SERVE_TEST_HIDDEN", env)
	}

	key, digest, err := server.NewKey()
	if err != nil {
		t.Fatal(err)
	}
	old, _ := os.ReadFile(f.keys)
	os.WriteFile(f.keys, append(old, []byte("  - {name: late, sha256: "+digest+", roles: [viewer]}\n")...), 0o600)
	p.cmd.Process.Signal(syscall.SIGHUP)
	p.waitFor(t, "SIGHUP: reloaded")
	if code, _ := apiCall(t, "GET", base+"/api/v1/playbooks", key, nil); code != 200 {
		t.Errorf("the added key: %d", code)
	}
	// A broken keys file keeps the keys that work.
	os.WriteFile(f.keys, []byte("version: 1\nkeys:\n  - {name: x, sha256: nothex, roles: [viewer]}\n"), 0o600)
	p.cmd.Process.Signal(syscall.SIGHUP)
	p.waitFor(t, "SIGHUP: kept the previous")
	if !strings.Contains(p.stderr.String(), "keys.yaml:3:23: sha256 must be") {
		t.Errorf("the problem is not reported with its position:\n%s", p.stderr.String())
	}
	if code, _ := apiCall(t, "GET", base+"/api/v1/playbooks", key, nil); code != 200 {
		t.Errorf("after a bad reload the keys stopped working: %d", code)
	}
	p.cmd.Process.Signal(syscall.SIGTERM)
	if c := p.wait(t); c != 0 {
		t.Errorf("exit %d", c)
	}
}

// TestRemoteExitCodeOfARunCancelledElsewhere: 130 and 143 mean this
// command's own signal cancelled the followed run; a run cancelled on the
// server by someone else, or by its shutdown, exits 1.
func TestRemoteExitCodeOfARunCancelledElsewhere(t *testing.T) {
	cancelled := &report.Report{Status: report.StatusCancelled, Error: &report.Error{Class: "cancelled", Message: "cancelled through the API by adm"}}
	if got := remoteExitCode(cancelled, nil); got != ExitFailed {
		t.Errorf("cancelled by another caller: exit %d, want %d", got, ExitFailed)
	}
	for _, s := range []struct {
		sig  os.Signal
		code int
	}{{os.Interrupt, ExitInterrupted}, {syscall.SIGTERM, ExitTerminated}} {
		if got := remoteExitCode(cancelled, &signalCause{sig: s.sig, code: s.code}); got != s.code {
			t.Errorf("cancelled by this command's %v: exit %d, want %d", s.sig, got, s.code)
		}
	}
	if got := remoteExitCode(&report.Report{Status: report.StatusSucceeded}, nil); got != ExitOK {
		t.Errorf("succeeded: exit %d", got)
	}
}

// TestServeScheduledRunsSeeOnlyThePassthrough: the runs of serve's
// schedules see only the variables --env-passthrough names, as its API
// runs do, not the server's whole environment.
func TestServeScheduledRunsSeeOnlyThePassthrough(t *testing.T) {
	f := newServeFixture(t)
	out := filepath.Join(f.dir, "env.txt")
	writePlaybook(t, f.playbooks, "envdump.yaml", "version: 1\nname: envdump\nschedule: {cron: \"@every 1s\"}\nsteps:\n"+
		"  - {id: dump, op: shell.exec, with: {script: 'env > "+out+"'}}\n")
	p := startEnv(t, []string{"ARSENAL_TEST_SERVER_SECRET=hunter2", "ARSENAL_TEST_PASSED=yes"}, "listening on",
		"serve", "--listen", "127.0.0.1:0", "--keys", f.keys, "--playbooks", f.playbooks, "--state-dir", f.state, "--env-passthrough", "ARSENAL_TEST_PASSED")
	t.Cleanup(func() {
		if p.cmd.ProcessState == nil {
			p.cmd.Process.Kill()
			<-p.done
		}
	})
	var data []byte
	for deadline := time.Now().Add(15 * time.Second); time.Now().Before(deadline) && len(data) == 0; time.Sleep(50 * time.Millisecond) {
		data, _ = os.ReadFile(out)
	}
	if !strings.Contains(string(data), "ARSENAL_TEST_PASSED=yes") || strings.Contains(string(data), "ARSENAL_TEST_SERVER_SECRET") {
		t.Errorf("a scheduled run's environment:\n%s\nserve's log:\n%s", data, p.stderr.String())
	}
}

// TestServeChecksScheduledInputsAgainstThePassthrough: a scheduled
// playbook's input read from a variable serve has but does not pass
// through would silently take its default; serve refuses to start, saying
// what to do, and starts once the variable is passed through.
func TestServeChecksScheduledInputsAgainstThePassthrough(t *testing.T) {
	f := newServeFixture(t)
	books := filepath.Join(f.dir, "sched-books")
	os.Mkdir(books, 0o755)
	writePlaybook(t, books, "lvl.yaml", "version: 1\nname: lvl\nschedule: {cron: \"@hourly\"}\ninputs:\n  level: {type: string, default: low, env: ARSENAL_TEST_LEVEL}\n  must: {type: string, required: true, env: ARSENAL_TEST_MUST}\nsteps:\n  - {id: a, op: control.noop}\n")
	t.Setenv("ARSENAL_TEST_LEVEL", "high")
	t.Setenv("ARSENAL_TEST_MUST", "yes")
	base := []string{"serve", "--state-dir", f.state, "--listen", "127.0.0.1:0", "--keys", f.keys, "--playbooks", books}
	r := runMain(t, base...)
	for _, want := range []string{
		"lvl.yaml:5:3: input level reads $ARSENAL_TEST_LEVEL, which serve's environment has but --env-passthrough does not let runs see",
		"lvl.yaml:6:3: input must is required and $ARSENAL_TEST_MUST is not set",
	} {
		if r.code != ExitUsage || !strings.Contains(r.stderr, want) {
			t.Errorf("exit %d, stderr:\n%s\nwant 2 and %q", r.code, r.stderr, want)
		}
	}
	_, addr := f.serve(t, "--playbooks", books, "--env-passthrough", "ARSENAL_TEST_LEVEL,ARSENAL_TEST_MUST")
	if addr == "" {
		t.Error("serve did not start with the variables passed through")
	}
	// With --no-schedule nothing is scheduled: its API runs are given
	// their inputs, so the schedule's needs are not checked.
	f2 := newServeFixture(t)
	if _, addr := f2.serve(t, "--playbooks", books, "--no-schedule"); addr == "" {
		t.Error("serve --no-schedule did not start")
	}
}

// TestRemoteAnswersConfirmQuestions: remote run asks a run's confirm:
// questions when it can (--yes; a person at its terminal), and a question
// answered elsewhere stops being asked here.
func TestRemoteAnswersConfirmQuestions(t *testing.T) {
	f := newServeFixture(t)
	writePlaybook(t, f.playbooks, "guarded.yaml", "version: 1\nname: guarded\nsteps:\n  - {id: check, op: control.noop}\n"+
		"  - {id: restart, op: control.noop, confirm: \"Restart the workers?\"}\n")
	_, base := f.serve(t)
	remoteCmd := func(args ...string) result {
		t.Helper()
		return runEnv(t, map[string]string{"ARSENAL_API_KEY": f.admin, "ARSENAL_SERVER": base}, append([]string{"remote"}, args...)...)
	}

	// Nobody to ask: the step is denied, and the error says how to ask.
	r := remoteCmd("run", "guarded", "--wait")
	if r.code == ExitOK || !strings.Contains(r.stdout+r.stderr, "remote run NAME --follow") {
		t.Errorf("run --wait of a confirm: step: exit %d\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
	}
	// --yes answers it, under the key's name, and waits for the end.
	r = remoteCmd("run", "guarded", "--yes")
	if r.code != ExitOK || !strings.Contains(r.stderr, "Restart the workers? [step restart]: yes (--yes)") || !strings.Contains(r.stdout, "succeeded") {
		t.Fatalf("run --yes: exit %d\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
	}
	id := strings.Fields(strings.TrimPrefix(r.stderr, "run "))[0]
	code, rep := apiCall(t, "GET", base+"/api/v1/runs/"+id, f.admin, nil)
	if code != 200 || !strings.Contains(fmt.Sprint(rep["steps"]), "by:admin") {
		t.Errorf("the report of run %s does not record admin's answer: %d %v", id, code, rep["steps"])
	}

	// The person at the terminal says no: the run fails, declined.
	follow := func(q questioner, onStart func(id string)) (*report.Report, *bytes.Buffer) {
		t.Helper()
		code, started := apiCall(t, "POST", base+"/api/v1/playbooks/guarded/runs", f.admin, map[string]any{"ask": true})
		if code != 202 {
			t.Fatalf("start: %d %v", code, started)
		}
		var stderr bytes.Buffer
		u, _ := url.Parse(base)
		rm := &remote{e: &env{stderr: &lockedWriter{w: &stderr}, getenv: func(string) string { return "" }}, base: u, key: f.admin}
		var err error
		if rm.http, err = rm.client(); err != nil {
			t.Fatal(err)
		}
		id := started["run_id"].(string)
		if onStart != nil {
			onStart(id)
		}
		asker := newRemoteAsker(context.Background(), rm, id, q)
		rep, err := rm.follow(context.Background(), id, asker)
		asker.close()
		if err != nil {
			t.Fatal(err)
		}
		return rep, &stderr
	}
	rep2, _ := follow(scripted{answer: false}, nil)
	if rep2.Status != report.StatusFailed || rep2.Steps[1].Confirmation == nil || rep2.Steps[1].Confirmation.Answer != "no" {
		t.Errorf("answered no: status %s, confirmation %+v", rep2.Status, rep2.Steps[1].Confirmation)
	}

	// Answered in the console meanwhile: the question here gives up, and
	// the line says who answered.
	elsewhere := &waitingQuestion{asked: make(chan string, 1), gaveUp: make(chan error, 1)}
	answered := make(chan int, 1)
	rep3, stderr := follow(elsewhere, func(id string) {
		go func() {
			<-elsewhere.asked
			code, _ := apiCall(t, "POST", base+"/api/v1/runs/"+id+"/confirm", f.admin, map[string]any{"step": "restart", "answer": "yes"})
			answered <- code
		}()
	})
	if code := <-answered; code != 200 {
		t.Errorf("the answer given elsewhere: %d", code)
	}
	if rep3.Status != report.StatusSucceeded {
		t.Errorf("answered elsewhere: %s", rep3.Status)
	}
	select {
	case err := <-elsewhere.gaveUp:
		if !errors.Is(err, errAnsweredElsewhere) {
			t.Errorf("the question here ended with %v", err)
		}
	default:
		t.Error("the question here was not given up")
	}
	if !strings.Contains(stderr.String(), "step restart: answered yes by admin") {
		t.Errorf("stderr: %q", stderr.String())
	}

	// A gap in the stream (its dropped marker) may have hidden a
	// question: the server's list of waiting questions is asked.
	code, started := apiCall(t, "POST", base+"/api/v1/playbooks/guarded/runs", f.admin, map[string]any{"ask": true})
	if code != 202 {
		t.Fatalf("start: %d %v", code, started)
	}
	id = started["run_id"].(string)
	for deadline := time.Now().Add(15 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		if _, q := apiCall(t, "GET", base+"/api/v1/runs/"+id+"/questions", f.admin, nil); len(q["questions"].([]any)) > 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the run never asked")
		}
	}
	u, _ := url.Parse(base)
	rm := &remote{e: &env{stderr: io.Discard, getenv: func(string) string { return "" }}, base: u, key: f.admin}
	rm.http, _ = rm.client()
	asker := newRemoteAsker(context.Background(), rm, id, scripted{answer: true})
	asker.Event(engine.Event{Kind: KindDroppedEvent, Dropped: 3})
	for deadline := time.Now().Add(15 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		if code, rep := apiCall(t, "GET", base+"/api/v1/runs/"+id, f.admin, nil); code == 200 && rep["status"] == "succeeded" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the hidden question was not asked after the gap")
		}
	}
	asker.close()
}

// scripted answers every question the same.
type scripted struct{ answer bool }

func (s scripted) Confirm(context.Context, string, string) (bool, error) { return s.answer, nil }

// waitingQuestion never answers: it waits until its question is given up.
type waitingQuestion struct {
	asked  chan string
	gaveUp chan error
}

func (w *waitingQuestion) Confirm(ctx context.Context, step, _ string) (bool, error) {
	w.asked <- step
	<-ctx.Done()
	w.gaveUp <- context.Cause(ctx)
	return false, context.Cause(ctx)
}

// TestServeWarnsOfPlainHTTPBeyondLoopback: keys and session cookies would
// cross the network in clear; serve says so, and what to do, once.
func TestServeWarnsOfPlainHTTPBeyondLoopback(t *testing.T) {
	f := newServeFixture(t)
	p := start(t, "listening on", "serve", "--listen", "0.0.0.0:0", "--keys", f.keys, "--playbooks", f.playbooks, "--state-dir", f.state)
	t.Cleanup(func() {
		if p.cmd.ProcessState == nil {
			p.cmd.Process.Kill()
			<-p.done
		}
	})
	p.waitFor(t, "plain HTTP on")
	if log := p.stderr.String(); !strings.Contains(log, "WRN plain HTTP on ") || !strings.Contains(log, "give --tls-cert and --tls-key") {
		t.Errorf("serve's log:\n%s", log)
	}
	local, _ := newServeFixture(t).serve(t)
	time.Sleep(200 * time.Millisecond) // the warning follows "listening on" at once
	if strings.Contains(local.stderr.String(), "plain HTTP") {
		t.Errorf("a warning on loopback:\n%s", local.stderr.String())
	}
}

// TestServedPlaybooksCannotBePlanted: no file operation of any caller
// reaches the playbooks serve loads. Before, a role whose file roots held
// the directory (the temporary directory is a root of every role without
// file_roots) wrote a playbook that the next reload served by name and
// scheduled with the daemon's roles.
func TestServedPlaybooksCannotBePlanted(t *testing.T) {
	f := newServeFixture(t)
	p, base := f.serve(t)
	planted := filepath.Join(f.playbooks, "planted.yaml")
	for _, c := range []struct {
		op     string
		params map[string]any
	}{
		{"file.write", map[string]any{"path": planted, "content": "version: 1\nname: planted\nsteps:\n  - {id: a, op: control.noop}\n"}},
		{"file.read", map[string]any{"path": filepath.Join(f.playbooks, "hello.yaml")}},
	} {
		code, body := apiCall(t, "POST", base+"/api/v1/operations/"+c.op+"/execute", f.admin, map[string]any{"params": c.params})
		if code != http.StatusForbidden || !strings.Contains(fmt.Sprint(body), "playbooks dir") {
			t.Errorf("%s in the playbooks dir: %d %v; want 403 naming the playbooks dir", c.op, code, body)
		}
	}
	if _, err := os.Stat(planted); err == nil {
		t.Errorf("the playbook was planted")
	}
	p.cmd.Process.Signal(syscall.SIGTERM)
	p.wait(t)
}
