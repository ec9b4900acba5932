package remote

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/arsenal-run/arsenal-run/pkg/ops/internal/opstest"
)

// BenchmarkExecVsControlMaster runs 200 ssh.exec of true against one sshd,
// then 200 `ssh -o ControlMaster=auto ... true` through one OpenSSH master
// connection, side by side in each iteration, and reports both times for
// 200 commands and their ratio. Both connections are made before timing.
//
//	go test -run '^$' -bench ExecVsControlMaster -benchtime 3x ./pkg/ops/remote
func BenchmarkExecVsControlMaster(b *testing.B) {
	const n = 200
	srv := startServer(b, serverOpts{})
	sshBin := tool(b, "ssh")
	pool := newPool(b, srv.settings(srv.inventory(b, "box")))
	r := registry(b, Settings{Agent: "none"})
	ctx := WithPool(context.Background(), pool)
	params := map[string]any{"host": "box", "command": []any{"true"}}

	// ControlPath must be short: unix socket paths are limited.
	cmDir, err := os.MkdirTemp("", "cm")
	if err != nil {
		b.Fatal(err)
	}
	defer os.RemoveAll(cmDir)
	cm := filepath.Join(cmDir, "c")
	args := []string{"-F", "/dev/null", "-i", srv.UserKey, "-p", strconv.Itoa(srv.Port),
		"-o", "UserKnownHostsFile=" + srv.KnownHosts, "-o", "StrictHostKeyChecking=yes", "-o", "BatchMode=yes",
		"-o", "ControlMaster=auto", "-o", "ControlPath=" + cm, "-o", "ControlPersist=120",
		currentUser(b) + "@127.0.0.1"}
	openssh := func() {
		if out, err := exec.Command(sshBin, append(args, "true")...).CombinedOutput(); err != nil {
			b.Fatalf("ssh: %v %s", err, out)
		}
	}
	defer exec.Command(sshBin, append(args[:len(args)-1], "-O", "exit", args[len(args)-1])...).Run()
	openssh()
	if _, err := opstest.Execute(r, ctx, "ssh.exec", params); err != nil {
		b.Fatal(err)
	}

	var ours, theirs time.Duration
	b.ResetTimer()
	for range b.N {
		start := time.Now()
		for range n {
			if _, err := opstest.Execute(r, ctx, "ssh.exec", params); err != nil {
				b.Fatal(err)
			}
		}
		ours += time.Since(start)
		start = time.Now()
		for range n {
			openssh()
		}
		theirs += time.Since(start)
	}
	b.StopTimer()
	if s := pool.Stats(); s.Dials != 1 {
		b.Errorf("ssh.exec made %d connections; want 1", s.Dials)
	}
	b.ReportMetric(float64(ours.Milliseconds())/float64(b.N), "ms/200-ssh.exec")
	b.ReportMetric(float64(theirs.Milliseconds())/float64(b.N), "ms/200-openssh-cm")
	b.ReportMetric(float64(ours)/float64(theirs), "ratio")
}
