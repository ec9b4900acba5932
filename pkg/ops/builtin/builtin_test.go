package builtin

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"go.uber.org/goleak"

	"github.com/arsenal-run/arsenal-run/pkg/ops"
	"github.com/arsenal-run/arsenal-run/pkg/ops/internal/opstest"
	"github.com/arsenal-run/arsenal-run/pkg/ops/proc"
	"github.com/arsenal-run/arsenal-run/pkg/ops/shell"
)

func TestMain(m *testing.M) {
	shell.MaybeRunSandboxHelper()
	goleak.VerifyTestMain(m)
}

func newRegistry(t *testing.T) *ops.Registry {
	t.Helper()
	sup := proc.NewSupervisor(proc.Options{})
	r := ops.NewRegistry()
	if err := Register(r, Options{Supervisor: sup}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		r.Close()
		sup.Close()
	})
	return r
}

func TestEveryOpIsRegisteredAndDescribed(t *testing.T) {
	r := newRegistry(t)
	want := []string{
		"archive.create", "archive.extract",
		"cluster.health", "cluster.topology",
		"control.assert", "control.fail", "control.log", "control.noop", "control.set", "control.sleep",
		"file.chmod", "file.chown", "file.copy", "file.delete", "file.find", "file.mkdir", "file.move",
		"file.read", "file.rotate", "file.stat", "file.template", "file.write",
		"http.request",
		"net.dns_lookup", "net.tcp_check", "net.tls_cert",
		"notify.email", "notify.webhook",
		"process.info", "process.kill", "process.list", "process.signal", "process.start",
		"shell.exec",
		"ssh.download", "ssh.exec", "ssh.facts", "ssh.upload", "ssh.wait",
		"supervisor.children", "supervisor.restart", "supervisor.stop",
		"system.disk", "system.info", "system.load", "system.memory",
	}
	if diff := cmp.Diff(want, r.Names()); diff != "" {
		t.Errorf("registered ops (-want +got):\n%s", diff)
	}
	risks := map[string]ops.Risk{
		"shell.exec": ops.RiskWrite, "file.write": ops.RiskWrite, "file.delete": ops.RiskDestructive,
		"file.mkdir": ops.RiskWrite, "file.chmod": ops.RiskWrite, "file.chown": ops.RiskWrite,
		"file.copy": ops.RiskWrite, "file.move": ops.RiskWrite, "file.rotate": ops.RiskWrite,
		"file.template": ops.RiskWrite, "archive.create": ops.RiskWrite, "archive.extract": ops.RiskWrite,
		"notify.webhook": ops.RiskWrite, "notify.email": ops.RiskWrite,
		"process.start": ops.RiskWrite, "process.signal": ops.RiskDestructive, "process.kill": ops.RiskDestructive,
		"supervisor.restart": ops.RiskDestructive, "supervisor.stop": ops.RiskDestructive,
		"ssh.exec": ops.RiskWrite, "ssh.upload": ops.RiskWrite, "ssh.download": ops.RiskWrite,
	}
	for _, e := range r.List("") {
		s := e.Spec
		if s.Category() == "control" {
			continue
		}
		if len(s.Description) < 40 {
			t.Errorf("%s: description too short: %q", s.Name, s.Description)
		}
		if len(s.Output) == 0 {
			t.Errorf("%s: no output fields", s.Name)
		}
		for _, p := range s.Params {
			if p.Description == "" {
				t.Errorf("%s: param %s has no description", s.Name, p.Name)
			}
		}
		want, ok := risks[s.Name]
		if !ok {
			want = ops.RiskRead
		}
		if s.Name == "http.request" {
			want = ops.RiskWrite // the highest; GET is read via RiskFor
		}
		if s.Risk != want {
			t.Errorf("%s: risk %s, want %s", s.Name, s.Risk, want)
		}
	}
	if err := Register(r, Options{}); !errors.Is(err, ops.ErrDuplicateOp) {
		t.Errorf("registering twice: %v", err)
	}
}

// A few ops chained the way a playbook chains them.
func TestOpsTogether(t *testing.T) {
	r := newRegistry(t)
	dir := t.TempDir()
	ctx := ops.WithCall(context.Background(), &ops.Call{Dir: dir})
	out, err := opstest.Execute(r, ctx, "shell.exec", map[string]any{"command": []any{"uname", "-s"}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := opstest.Execute(r, ctx, "file.write", map[string]any{"path": "kernel.txt", "content": out["stdout"]}); err != nil {
		t.Fatal(err)
	}
	got, err := opstest.Execute(r, ctx, "file.read", map[string]any{"path": filepath.Join(dir, "kernel.txt")})
	if err != nil || !strings.HasPrefix(got["content"].(string), "Linux") {
		t.Errorf("file.read: %v %v", got, err)
	}
	info, err := opstest.Execute(r, ctx, "system.info", nil)
	if err != nil || info["os"] != "linux" {
		t.Errorf("system.info: %v %v", info, err)
	}
	out, err = opstest.Execute(r, ctx, "shell.exec", map[string]any{"script": "echo sandboxed", "sandbox": map[string]any{"network": false, "memory": "256Mi"}})
	if err != nil || out["stdout"] != "sandboxed\n" {
		t.Errorf("sandboxed shell: %v %v", out, err)
	}
}

type scope struct{ roots []string }

func (s scope) FileRoots() []string { return s.roots }

var _ FileRoots = scope{}

func TestScopeRestrictsFiles(t *testing.T) {
	r := newRegistry(t)
	allowed := t.TempDir()
	ctx := ops.WithCall(context.Background(), &ops.Call{Scope: scope{[]string{allowed}}})
	_, err := opstest.Execute(r, ctx, "file.write", map[string]any{"path": filepath.Join(t.TempDir(), "x"), "content": "no"})
	if !errors.Is(err, ops.ErrDenied) {
		t.Errorf("write outside the scope's roots: %v", err)
	}
}
