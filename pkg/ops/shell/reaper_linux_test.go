package shell

import (
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestWatchdogKillsRegisteredGroups starts the watchdog as arsenal-run
// does, registers a process group holding a shell and the sleep it forked,
// and closes the pipe as arsenal-run's death would: the whole group dies,
// while an unregistered group is left alone.
func TestWatchdogKillsRegisteredGroups(t *testing.T) {
	group := func() *exec.Cmd {
		c := exec.Command("sh", "-c", "sleep 300; echo")
		c.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
		if err := c.Start(); err != nil {
			t.Fatal(err)
		}
		return c
	}
	watched, other := group(), group()
	defer func() {
		for _, c := range []*exec.Cmd{watched, other} {
			syscall.Kill(-c.Process.Pid, syscall.SIGKILL)
			c.Wait()
		}
	}()
	pr, pw, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	wd := exec.Command("/proc/self/exe", watchdogArg)
	wd.Stdin = pr
	wd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := wd.Start(); err != nil {
		t.Fatal(err)
	}
	pr.Close()
	fmt.Fprintf(pw, "+g %d\n+g %d\n-g %d\n+g %d\n", watched.Process.Pid, other.Process.Pid, other.Process.Pid, watched.Process.Pid)
	pw.Close()
	if err := wd.Wait(); err != nil {
		t.Fatalf("watchdog: %v", err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for groupAlive(watched.Process.Pid) {
		if time.Now().After(deadline) {
			t.Fatal("the registered group outlived the watchdog's end")
		}
		time.Sleep(20 * time.Millisecond)
	}
	if !groupAlive(other.Process.Pid) {
		t.Error("an unregistered group was killed")
	}
}

// groupAlive reports whether a process other than a zombie is in group
// pgid.
func groupAlive(pgid int) bool {
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		b, err := os.ReadFile("/proc/" + e.Name() + "/stat")
		if err != nil {
			continue
		}
		// pid (comm) state ppid pgrp ...
		rest := string(b[strings.LastIndexByte(string(b), ')')+2:])
		f := strings.Fields(rest)
		if len(f) > 2 && f[0] != "Z" && f[2] == strconv.Itoa(pgid) {
			return true
		}
	}
	return false
}
