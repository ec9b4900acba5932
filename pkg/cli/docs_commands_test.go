package cli

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// docShellLines returns the commands of a doc's ```sh blocks that start
// with prefix, one per line (a line ending in \ continued).
func docShellLines(md, prefix string) []string {
	var out []string
	in := false
	var cur string
	for _, l := range strings.Split(md, "\n") {
		switch {
		case strings.HasPrefix(l, "```sh"):
			in = true
		case in && strings.HasPrefix(l, "```"):
			in = false
		case in:
			if cur != "" {
				cur += " " + strings.TrimSpace(l)
			} else if strings.HasPrefix(l, prefix) {
				cur = l
			}
			if strings.HasSuffix(cur, "\\") {
				cur = strings.TrimSuffix(cur, "\\")
				continue
			}
			if cur != "" {
				out = append(out, cur)
			}
			cur = ""
		}
	}
	return out
}

// TestExtendingDocCommands runs the commands docs/extending.md shows for
// its example plugin, from the repository's root, as a reader would.
func TestExtendingDocCommands(t *testing.T) {
	cmds := docShellLines(repoFile(t, "docs/extending.md"), "arsenal-run ")
	if len(cmds) < 2 {
		t.Fatalf("docs/extending.md shows %d arsenal-run commands", len(cmds))
	}
	home := t.TempDir()
	for _, c := range cmds {
		c, _, _ = strings.Cut(c, "#")
		args := strings.Fields(c)[1:]
		cmd := exec.Command(binary(t), args...)
		cmd.Dir = filepath.Join("..", "..")
		cmd.Env = append(os.Environ(), "HOME="+home, "XDG_STATE_HOME="+filepath.Join(home, "state"), "XDG_CONFIG_HOME="+filepath.Join(home, "config"))
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Errorf("%s: %v\n%s", c, err, out)
		}
	}
}

// TestCLIDocValidateRoleOutput runs the validate --role example of
// docs/cli.md on the repository's playbook and compares what it prints
// (standard output, then standard error) with what the doc shows.
func TestCLIDocValidateRoleOutput(t *testing.T) {
	shown := shownOutput(t, "docs/cli.md", "$ arsenal-run validate playbooks/incident-restart-worker.yaml --role operator\n")
	t.Chdir(filepath.Join("..", ".."))
	r := runEnv(t, nil, "validate", "playbooks/incident-restart-worker.yaml", "--role", "operator")
	if r.code != ExitDenied {
		t.Errorf("exit %d, want %d", r.code, ExitDenied)
	}
	if diff := cmp.Diff(shown, r.stdout+r.stderr); diff != "" {
		t.Errorf("docs/cli.md shows other output than validate prints (-doc +actual):\n%s", diff)
	}
}

// TestServerQuickStartRole: the key docs/server.md's quick start makes may
// run the playbook it then starts, the one docs/playbooks.md shows.
func TestServerQuickStartRole(t *testing.T) {
	doc := repoFile(t, "docs/server.md")
	m := regexp.MustCompile(`\$ arsenal-run keys new --name \S+ --role (\S+)`).FindStringSubmatch(doc)
	if m == nil {
		t.Fatal("docs/server.md makes no key")
	}
	role := m[1]
	p := regexp.MustCompile(`/api/v1/playbooks/([a-z0-9-]+)/runs`).FindStringSubmatch(doc)
	if p == nil {
		t.Fatal("docs/server.md starts no playbook")
	}
	var playbook string
	for _, b := range yamlBlocks(repoFile(t, "docs/playbooks.md")) {
		if strings.Contains(b, "\nname: "+p[1]+"\n") {
			playbook = b
		}
	}
	if playbook == "" {
		t.Fatalf("docs/playbooks.md does not show playbook %s", p[1])
	}
	playbookDir(t, map[string]string{"p.yaml": playbook})
	r := runEnv(t, nil, "validate", "p.yaml", "--role", role)
	if r.code != ExitOK {
		t.Errorf("the quick start's key (role %s) may not run %s: exit %d\n%s%s", role, p[1], r.code, r.stdout, r.stderr)
	}
}

// TestConsoleDocServesThePlaybooks: the serve command docs/console.md gives
// for this repository's playbooks/ starts, with the policy it shows.
func TestConsoleDocServesThePlaybooks(t *testing.T) {
	doc := repoFile(t, "docs/console.md")
	var cmd string
	for _, c := range docShellLines(doc, "HOUSEKEEPING_DIR=") {
		cmd = c
	}
	if cmd == "" {
		t.Fatal("docs/console.md does not serve playbooks/")
	}
	cmd, _, _ = strings.Cut(cmd, "#")
	f := newServeFixture(t)
	cache := t.TempDir()
	var env, args []string
	for _, w := range strings.Fields(cmd) {
		switch {
		case strings.HasPrefix(w, "HOUSEKEEPING_DIR="):
			env = append(env, "HOUSEKEEPING_DIR="+cache)
		case strings.Contains(w, "=") && len(args) == 0:
			env = append(env, w)
		case w == "arsenal-run":
		default:
			args = append(args, w)
		}
	}
	for i := 0; i+1 < len(args); i++ {
		switch args[i] {
		case "--keys":
			args[i+1] = f.keys
		case "--state-dir":
			args[i+1] = f.state
		case "--policy":
			// The policy the doc shows, for this test's directory to clean.
			var policy string
			for _, b := range yamlBlocks(doc) {
				if strings.HasPrefix(b, "# "+args[i+1]+"\n") {
					policy = strings.ReplaceAll(b, "/var/cache/myapp", cache)
				}
			}
			if policy == "" {
				t.Fatalf("docs/console.md does not show %s", args[i+1])
			}
			args[i+1] = writePlaybook(t, f.dir, "policy.yaml", policy)
		}
	}
	args = append(args, "--listen", "127.0.0.1:0")
	c := exec.Command(binary(t), args...)
	c.Dir = filepath.Join("..", "..")
	c.Env = append(os.Environ(), env...)
	var stderr syncBuffer
	c.Stderr = &stderr
	if err := c.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- c.Wait() }()
	deadline := time.Now().Add(60 * time.Second)
	for !strings.Contains(stderr.String(), "listening on") {
		select {
		case err := <-done:
			t.Fatalf("%s: %v\n%s", cmd, err, stderr.String())
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			c.Process.Kill()
			<-done
			t.Fatalf("%s: never listened\n%s", cmd, stderr.String())
		}
	}
	c.Process.Signal(syscall.SIGTERM)
	<-done
}

// TestServerDocLogExample: the serve command of docs/server.md's log
// example names the playbooks directory its output reloads from.
func TestServerDocLogExample(t *testing.T) {
	doc := repoFile(t, "docs/server.md")
	m := regexp.MustCompile(`(?m)^\$ (arsenal-run serve .*)\n(?s:.*?)(\d+) playbooks from (\S+)"`).FindStringSubmatch(doc)
	if m == nil {
		t.Fatal("docs/server.md has no serve log example")
	}
	if !strings.Contains(m[1]+" ", " --playbooks "+m[3]+" ") {
		t.Errorf("docs/server.md's log example says %s playbooks from %s, but its command has no --playbooks %s: %s", m[2], m[3], m[3], m[1])
	}
}
