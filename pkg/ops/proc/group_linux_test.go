package proc

import (
	"os/exec"
	"syscall"
	"testing"
)

// TestSameGroupOnlyWhileAMemberLives: the group of a stopped tree is
// taken for the one it was while one of its processes lives, and no
// longer once they have all ended: a new group may then have its id, and
// the delayed SIGKILL of a stop must not reach it.
func TestSameGroupOnlyWhileAMemberLives(t *testing.T) {
	cmd := exec.Command("sleep", "30")
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	pid := cmd.Process.Pid
	members := groupMembers(pid)
	if _, ok := members[pid]; !ok || len(members) != 1 {
		t.Fatalf("members of group %d: %v", pid, members)
	}
	if !sameGroup(pid, members) {
		t.Error("the group was not taken for itself while its leader lives")
	}
	// Another process with the same pid would have another start time.
	if sameGroup(pid, map[int]uint64{pid: members[pid] + 1}) {
		t.Error("a process of another start time was taken for the member")
	}
	cmd.Process.Kill()
	cmd.Wait()
	if sameGroup(pid, members) {
		t.Error("the group was taken for itself after every member ended")
	}
}
