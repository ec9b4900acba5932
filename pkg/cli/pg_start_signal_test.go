package cli

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/arsenal-run/arsenal-run/internal/pgtest"
)

// TestSignalWhileConnectingToPostgresEndsTheStart: run, schedule and
// serve on a PostgreSQL server that takes the connection and never
// answers (or a host that drops packets) said nothing, and a Ctrl-C or
// SIGTERM did not end the wait: run and serve waited out the connect
// timeout, schedule waited for ever. Each now says, after a moment, which
// server it waits for, without the password, and stops at the signal with
// its exit code, 130 for SIGINT, 143 for SIGTERM.
func TestSignalWhileConnectingToPostgresEndsTheStart(t *testing.T) {
	f := newServeFixture(t)
	pbs := filepath.Join(f.dir, "scheduled")
	if err := os.Mkdir(pbs, 0o755); err != nil {
		t.Fatal(err)
	}
	writePlaybook(t, pbs, "tick.yaml", "version: 1\nname: tick\nschedule: {cron: \"@every 1h\"}\nsteps:\n  - {id: work, op: control.noop}\n")
	pb := writePlaybook(t, f.dir, "p.yaml", "version: 1\nname: p\nsteps:\n  - {id: work, op: control.noop}\n")
	for _, tc := range []struct {
		name string
		args []string
		sig  syscall.Signal
		code int
	}{
		{"run", []string{"run", pb}, syscall.SIGINT, ExitInterrupted},
		{"schedule", []string{"schedule", pbs}, syscall.SIGTERM, ExitTerminated},
		{"serve", []string{"serve", "--listen", "127.0.0.1:0", "--keys", f.keys, "--audit-log", filepath.Join(f.dir, "audit.log")}, syscall.SIGINT, ExitInterrupted},
	} {
		t.Run(tc.name, func(t *testing.T) {
			// Each waits on a server of its own: the three wait at once.
			t.Parallel()
			addr, _ := pgtest.Silent(t)
			// The connection would wait ten minutes.
			url := "postgres://app:s3cret-pw@" + addr + "/ops?sslmode=disable&connect_timeout=600"
			p := start(t, "waiting for the PostgreSQL server at "+addr+" to answer", append(tc.args, "--state", url)...)
			p.cmd.Process.Signal(tc.sig)
			code := p.wait(t)
			out := p.stderr.String()
			if code != tc.code {
				t.Fatalf("exit %d, want %d\n%s", code, tc.code, out)
			}
			if strings.Contains(out, "s3cret-pw") || !strings.Contains(out, "nothing") {
				t.Errorf("stderr does not say nothing started, without the password:\n%s", out)
			}
			// The wait is said as the other notices of the start-up
			// are, naming the database (its URL, masked).
			for _, line := range strings.Split(out, "\n") {
				if strings.Contains(line, "waiting for the PostgreSQL server") && !strings.Contains(line, "postgres://app:xxxxx@"+addr+"/ops") {
					t.Errorf("the wait does not name the database:\n%s", out)
				}
			}
		})
	}
}
