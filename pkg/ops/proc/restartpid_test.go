package proc

import (
	"context"
	"fmt"
	"strings"
	"syscall"
	"testing"
)

// TestRestartByPIDStartsAnEndedProcessAgain: supervisor.restart promises
// that stopped or given-up processes are started again, but with pid it
// refused a process of the group that had exited ("not a running process
// of any supervisor") while the same restart by group name started it.
func TestRestartByPIDStartsAnEndedProcessAgain(t *testing.T) {
	_, sup := newEnv(t, Options{})
	first, err := sup.Start(Spec{Command: []string{"/bin/sh", "-c", "exit 3"}, Group: "once", Restart: RestartNever})
	if err != nil {
		t.Fatal(err)
	}
	eventually(t, "the process fails", func() bool {
		cs, err := sup.Children("once")
		return err == nil && cs[0].Status == "failed"
	})
	pid, err := sup.RestartPID(context.Background(), first.PID)
	if err != nil || pid == first.PID || pid == 0 {
		t.Fatalf("restart by the pid of a failed process = %d, %v; want a new pid", pid, err)
	}
}

// TestRestartByAnEarlierPIDNamesTheCurrentOne: the pid process.start gave
// is the one a playbook holds; once the supervisor has restarted that
// process, restarting by the old pid says which pid it has now, rather
// than that the pid belongs to no supervisor.
func TestRestartByAnEarlierPIDNamesTheCurrentOne(t *testing.T) {
	_, sup := newEnv(t, Options{})
	first, err := sup.Start(Spec{Command: []string{"/bin/sleep", "300"}, Group: "web", Restart: RestartAlways})
	if err != nil {
		t.Fatal(err)
	}
	if err := syscall.Kill(first.PID, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	var now int
	eventually(t, "the killed process is back", func() bool {
		cs, err := sup.Children("web")
		now = cs[0].PID
		return err == nil && cs[0].Status == "running" && now != first.PID
	})
	_, err = sup.RestartPID(context.Background(), first.PID)
	want := fmt.Sprintf(`pid %d has ended: supervisor "web" restarted that process as pid %d; restart pid %d, or every process of the group with supervisor: web`, first.PID, now, now)
	if err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("restart by an earlier pid: %v\nwant: %s", err, want)
	}
}
