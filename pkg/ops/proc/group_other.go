//go:build !linux

package proc

// groupMembers cannot list a process group here: nil, and sameGroup then
// takes the group for the one it was.
func groupMembers(pgid int) map[int]uint64 { return nil }

func sameGroup(pgid int, members map[int]uint64) bool { return true }

// stillGroup cannot tell here: nil, and nothing a process left behind
// is reached by its group's id after it ended.
func stillGroup(pgid int, members map[int]uint64) map[int]uint64 { return nil }
