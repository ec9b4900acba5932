package runs

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sourcegraph/conc/pool"

	"github.com/arsenal-run/arsenal-run/internal/sshdtest"
	"github.com/arsenal-run/arsenal-run/pkg/inventory"
	"github.com/arsenal-run/arsenal-run/pkg/ops/remote"
	"github.com/arsenal-run/arsenal-run/pkg/report"
)

// fanOut20 is three fan-out steps over 20 hosts at concurrency 10: 60
// ssh.exec, each host reached by three steps.
const fanOut20 = `version: 1
name: fanout20
steps:
  - {id: one, op: ssh.exec, foreach: inventory.hosts("fleet"), concurrency: 10, with: {host: "${{ item.name }}", command: ["true"]}}
  - {id: two, op: ssh.exec, foreach: inventory.hosts("fleet"), concurrency: 10, with: {host: "${{ item.name }}", command: ["true"]}}
  - {id: three, op: ssh.exec, foreach: inventory.hosts("fleet"), concurrency: 10, with: {host: "${{ item.name }}", command: ["true"]}}
`

// BenchmarkFanOut20Hosts times whole runs of fanOut20 through the run
// service (each run with its own connection pool, so each run logs in
// anew), and, side by side, the same 60 commands with OpenSSH: 10 workers
// running `ssh host true`, one ControlMaster connection per host, made
// while timing as ours are. It fails unless every run logged in to each
// host exactly once. The 20 hosts are two sshd listening on ten loopback
// addresses each.
//
//	go test -run '^$' -bench FanOut20Hosts -benchtime 5x ./pkg/runs
func BenchmarkFanOut20Hosts(b *testing.B) {
	user := sshdtest.CurrentUser(b)
	var inv strings.Builder
	fmt.Fprintf(&inv, "version: 1\ndefaults: {user: %s}\nhosts:\n", user)
	var names []string
	var servers []*sshdtest.Server
	type host struct {
		addr string
		srv  *sshdtest.Server
	}
	var hosts []host
	var kh []byte
	for s := range 2 {
		var addrs []string
		for i := 1; i <= 10; i++ {
			addrs = append(addrs, fmt.Sprintf("127.0.%d.%d", s+1, i))
		}
		srv := sshdtest.Start(b, sshdtest.Options{Listen: addrs, Config: "MaxStartups 200"})
		servers = append(servers, srv)
		kh = append(kh, must(os.ReadFile(srv.KnownHosts))...)
		for _, a := range addrs {
			names = append(names, fmt.Sprintf("h%02d", len(names)+1))
			hosts = append(hosts, host{a, srv})
			fmt.Fprintf(&inv, "  %s: {address: %s, port: %d, identity_file: %s}\n", names[len(names)-1], a, srv.Port, srv.UserKey)
		}
	}
	fmt.Fprintf(&inv, "groups:\n  fleet: [%s]\n", strings.Join(names, ", "))
	dir := b.TempDir()
	khFile := filepath.Join(dir, "known_hosts")
	if err := os.WriteFile(khFile, kh, 0o600); err != nil {
		b.Fatal(err)
	}
	parsed, err := inventory.Parse("fleet.yaml", []byte(inv.String()))
	if err != nil {
		b.Fatal(err)
	}
	m := newManager(b, Config{Remote: remote.Settings{Inventory: parsed, KnownHosts: []string{khFile}, Agent: "none"}}, Limits{})
	path := writePlaybook(b, fanOut20)
	logins := func() int { return servers[0].Logins() + servers[1].Logins() }

	sshBin := sshdtest.Tool(b, "ssh")
	// ControlPath must be short: unix socket paths are limited.
	cmDir, err := os.MkdirTemp("", "cm")
	if err != nil {
		b.Fatal(err)
	}
	defer os.RemoveAll(cmDir)
	sshArgs := func(i int, h host, cmd ...string) []string {
		return append([]string{"-F", "/dev/null", "-i", h.srv.UserKey, "-p", strconv.Itoa(h.srv.Port),
			"-o", "UserKnownHostsFile=" + khFile, "-o", "StrictHostKeyChecking=yes", "-o", "BatchMode=yes",
			"-o", "ControlMaster=auto", "-o", "ControlPath=" + filepath.Join(cmDir, strconv.Itoa(i)), "-o", "ControlPersist=120",
			user + "@" + h.addr}, cmd...)
	}
	openssh := func() {
		p := pool.New().WithErrors().WithMaxGoroutines(10)
		for range 3 {
			for i, h := range hosts {
				p.Go(func() error {
					if out, err := exec.Command(sshBin, sshArgs(i, h, "true")...).CombinedOutput(); err != nil {
						return fmt.Errorf("ssh %s: %v %s", h.addr, err, out)
					}
					return nil
				})
			}
		}
		if err := p.Wait(); err != nil {
			b.Fatal(err)
		}
		for i, h := range hosts { // close the masters: the next round dials again, as a run does
			_ = exec.Command(sshBin, sshArgs(i, h, "-O", "exit")...).Run()
		}
	}

	var ours, theirs time.Duration
	b.ResetTimer()
	for range b.N {
		before := logins()
		start := time.Now()
		h, err := m.Start(context.Background(), Request{Path: path})
		if err != nil {
			b.Fatal(err)
		}
		rep, err := h.Wait(context.Background())
		if err != nil {
			b.Fatal(err)
		}
		ours += time.Since(start)
		if rep.Status != report.StatusSucceeded {
			b.Fatalf("run %s: %+v", rep.Status, rep.Error)
		}
		if n := logins() - before; n != 20 {
			b.Fatalf("a run of 60 commands on 20 hosts logged in %d times; want 20, one per host", n)
		}
		before = logins()
		start = time.Now()
		openssh()
		theirs += time.Since(start)
		if n := logins() - before; n != 20 {
			b.Fatalf("OpenSSH logged in %d times; want 20", n)
		}
	}
	b.StopTimer()
	b.ReportMetric(float64(ours.Milliseconds())/float64(b.N), "ms/run")
	b.ReportMetric(float64(theirs.Milliseconds())/float64(b.N), "ms/openssh-cm")
	b.ReportMetric(20, "logins/run")
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}
