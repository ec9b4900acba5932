package proc

import (
	"bytes"
	"os"
	"strconv"
)

// groupMembers returns the processes of process group pgid, each with its
// start time (in clock ticks since boot): who was in the group when it
// was asked to stop, to tell it later from a new group that was given the
// same id once every member had ended.
func groupMembers(pgid int) map[int]uint64 {
	out := map[int]uint64{}
	ents, err := os.ReadDir("/proc")
	if err != nil {
		return out
	}
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		b, err := os.ReadFile("/proc/" + e.Name() + "/stat")
		if err != nil {
			continue
		}
		// pid (comm) state ppid pgrp session ... starttime (field 22);
		// comm may hold spaces and parentheses: count from the last ")".
		i := bytes.LastIndexByte(b, ')')
		if i < 0 {
			continue
		}
		f := bytes.Fields(b[i+1:])
		if len(f) < 20 {
			continue
		}
		if g, err := strconv.Atoi(string(f[2])); err != nil || g != pgid {
			continue
		}
		if st, err := strconv.ParseUint(string(f[19]), 10, 64); err == nil {
			out[pid] = st
		}
	}
	return out
}

// sameGroup reports whether a process of the group as it was (members)
// is still in group pgid: while one lives, the group's id cannot be
// another's.
func sameGroup(pgid int, members map[int]uint64) bool {
	return stillGroup(pgid, members) != nil
}

// stillGroup returns the processes of group pgid now, when one of
// members is among them (then they are all of that group, those started
// since included); else nil.
func stillGroup(pgid int, members map[int]uint64) map[int]uint64 {
	now := groupMembers(pgid)
	for pid, st := range now {
		if was, ok := members[pid]; ok && was == st {
			return now
		}
	}
	return nil
}
