package cli

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/arsenal-run/arsenal-run/pkg/server"
)

// TestServeApprovalIsJudgedByTheRolesHeldNow: a key that started a run
// while it held admin, and whose roles were cut to viewer by a reload of
// the keys file, may no longer answer yes to that run's confirm:
// question: its yes is judged by the roles it holds now, as another
// caller's is, and refused (the step is not run); it may still cancel
// the run it started. Before, the starter's name alone let the yes
// through, and the write ran.
func TestServeApprovalIsJudgedByTheRolesHeldNow(t *testing.T) {
	f := newServeFixture(t)
	bob, digest, err := server.NewKey()
	if err != nil {
		t.Fatal(err)
	}
	keysWith := func(role string) []byte {
		b, err := os.ReadFile(f.keys)
		if err != nil {
			t.Fatal(err)
		}
		lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
		if strings.Contains(lines[len(lines)-1], "name: bob") {
			lines = lines[:len(lines)-1]
		}
		lines = append(lines, fmt.Sprintf("  - {name: bob, sha256: %s, roles: [%s]}", digest, role))
		return []byte(strings.Join(lines, "\n") + "\n")
	}
	writeKeys := func(data []byte) {
		tmp := f.keys + ".new"
		if err := os.WriteFile(tmp, data, 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.Rename(tmp, f.keys); err != nil {
			t.Fatal(err)
		}
	}
	writeKeys(keysWith("admin"))
	target := filepath.Join(f.dir, "written.txt")
	writePlaybook(t, f.playbooks, "gated.yaml", "version: 1\nname: gated\nsteps:\n  - {id: w, op: file.write, confirm: \"write it?\", with: {path: "+target+", content: written}}\n")
	p, base := f.serve(t)

	code, out := apiCall(t, "POST", base+"/api/v1/playbooks/gated/runs", bob, map[string]any{"ask": true})
	if code != 202 {
		t.Fatalf("bob starts gated: %d %v", code, out)
	}
	id, _ := out["run_id"].(string)
	deadline := time.Now().Add(20 * time.Second)
	for {
		code, out = apiCall(t, "GET", base+"/api/v1/runs/"+id+"/questions", bob, nil)
		if qs, _ := out["questions"].([]any); code == 200 && len(qs) == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no question of run %s: %d %v", id, code, out)
		}
		time.Sleep(20 * time.Millisecond)
	}

	writeKeys(keysWith("viewer"))
	p.cmd.Process.Signal(syscall.SIGHUP)
	p.waitFor(t, "SIGHUP: reloaded")

	code, out = apiCall(t, "POST", base+"/api/v1/runs/"+id+"/confirm", bob, map[string]any{"step": "w", "answer": "yes"})
	e, _ := out["error"].(map[string]any)
	msg, _ := e["message"].(string)
	if code != 403 || !strings.Contains(msg, "bob started run "+id+" with roles admin but holds viewer now and may not approve step w") {
		t.Errorf("bob's yes once cut to viewer: %d %v", code, out)
	}
	if _, err := os.Stat(target); err == nil {
		t.Error("the step bob may no longer run was approved: the file was written")
	}
	// Refused, and audited so.
	audit, err := os.ReadFile(filepath.Join(f.state, "audit.log"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(audit), "holds viewer now") {
		t.Errorf("the audit log has no line of bob's refused yes:\n%s", audit)
	}

	// The run's starter may still stop it, by name.
	if code, out := apiCall(t, "POST", base+"/api/v1/runs/"+id+"/cancel", bob, nil); code != 202 {
		t.Errorf("bob cancels the run he started: %d %v", code, out)
	}
	p.cmd.Process.Signal(syscall.SIGTERM)
	if c := p.wait(t); c != ExitOK {
		t.Errorf("exit %d\n%s", c, p.stderr.String())
	}
	if _, err := os.Stat(target); err == nil {
		t.Error("the file was written")
	}
}
