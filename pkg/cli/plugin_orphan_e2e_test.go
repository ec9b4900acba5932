package cli

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestE2EPluginDiesWithArsenalRun checks that a plugin's program, and a
// child it forked, do not outlive arsenal-run: neither killed with
// SIGKILL nor exiting at once on a second SIGTERM while the program
// ignores the first one's SIGTERM (a CI runner's timeout, then its
// second try).
func TestE2EPluginDiesWithArsenalRun(t *testing.T) {
	if _, err := os.Stat("/proc/self/cmdline"); err != nil {
		t.Skip("needs /proc")
	}
	for _, tc := range []struct {
		name string
		stop func(p *os.Process) error
	}{
		{"kill -9", func(p *os.Process) error { return p.Signal(syscall.SIGKILL) }},
		{"second SIGTERM", func(p *os.Process) error {
			if err := p.Signal(syscall.SIGTERM); err != nil {
				return err
			}
			time.Sleep(sameRequest + 200*time.Millisecond)
			return p.Signal(syscall.SIGTERM)
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			// A duration no other process uses finds the sleep.
			duration := fmt.Sprintf("3%d.%d", os.Getpid()%1000, time.Now().UnixNano()%1_000_000)
			dir := t.TempDir()
			plugins := filepath.Join(dir, "plugins")
			if err := os.Mkdir(plugins, 0o700); err != nil {
				t.Fatal(err)
			}
			manifest := `version: 1
name: acme.hold
category: acme
description: Holds on.
risk: read
command: [./hold.sh]
timeout: 10m
env: [PATH]
params: {type: object}
`
			if err := os.WriteFile(filepath.Join(plugins, "hold.yaml"), []byte(manifest), 0o600); err != nil {
				t.Fatal(err)
			}
			script := "#!/bin/sh\ntrap '' TERM\nsleep " + duration + "\necho '{}'\n"
			if err := os.WriteFile(filepath.Join(plugins, "hold.sh"), []byte(script), 0o700); err != nil {
				t.Fatal(err)
			}
			pb := writePlaybook(t, dir, "pb.yaml", `version: 1
name: orphans
steps:
  - {id: hold, op: acme.hold}
`)
			defer func() {
				for _, pid := range processesMatching("sleep " + duration) {
					syscall.Kill(pid, syscall.SIGKILL)
				}
			}()
			cmd := exec.Command(binary(t), "run", pb, "--plugins", plugins)
			cmd.Env = append(os.Environ(), "GITHUB_STEP_SUMMARY=")
			var stderr syncBuffer
			cmd.Stderr = &stderr
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			done := make(chan struct{})
			go func() { cmd.Wait(); close(done) }()
			deadline := time.Now().Add(20 * time.Second)
			for len(processesMatching("sleep "+duration)) == 0 {
				if time.Now().After(deadline) {
					cmd.Process.Kill()
					<-done
					t.Fatalf("the plugin's sleep never started; stderr:\n%s", stderr.String())
				}
				time.Sleep(20 * time.Millisecond)
			}
			// The group is registered with the watchdog just after the
			// program starts; a loaded machine can stretch that moment.
			time.Sleep(300 * time.Millisecond)
			if err := tc.stop(cmd.Process); err != nil {
				t.Fatal(err)
			}
			<-done
			deadline = time.Now().Add(10 * time.Second)
			for {
				left := processesMatching("sleep " + duration)
				if len(left) == 0 {
					break
				}
				if time.Now().After(deadline) {
					t.Fatalf("processes %v outlived arsenal-run; stderr:\n%s", left, stderr.String())
				}
				time.Sleep(50 * time.Millisecond)
			}
			if tc.name == "second SIGTERM" && !strings.Contains(stderr.String(), "SIGTERM again: exiting now") {
				t.Errorf("arsenal-run did not exit on the second SIGTERM; stderr:\n%s", stderr.String())
			}
		})
	}
}
