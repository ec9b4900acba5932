package shell

import (
	"context"
	"os"
	"os/exec"
	"strings"
	"testing"
)

// TestRootCannotLeaveTheSandboxNetwork: a sandbox without network run as
// root cannot enter arsenal-run's network namespace (nsenter
// --net=/proc/$PPID/ns/net), which would give it the host's network:
// the capabilities that allow it are gone before the program starts.
func TestRootCannotLeaveTheSandboxNetwork(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("only root may enter another network namespace")
	}
	if _, err := exec.LookPath("nsenter"); err != nil {
		t.Skip("needs nsenter")
	}
	host, err := os.Readlink("/proc/self/ns/net")
	if err != nil {
		t.Fatal(err)
	}
	out, err := execute(t, context.Background(), nil, map[string]any{
		"script":   `readlink /proc/self/ns/net; nsenter --net=/proc/$PPID/ns/net readlink /proc/self/ns/net; nsenter --net=/proc/1/ns/net readlink /proc/self/ns/net`,
		"sandbox":  map[string]any{"network": false},
		"ok_codes": []any{0, 1},
	})
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Fields(out["stdout"].(string))
	if len(lines) == 0 || lines[0] == host {
		t.Fatalf("the sandbox runs in the host's network namespace: %q", out["stdout"])
	}
	for _, l := range lines[1:] {
		if l != lines[0] {
			t.Errorf("the sandboxed program entered network namespace %s (arsenal-run's is %s); stderr: %s", l, host, out["stderr"])
		}
	}
}
