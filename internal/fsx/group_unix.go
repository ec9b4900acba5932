//go:build unix

package fsx

import (
	"bufio"
	"fmt"
	"io/fs"
	"os"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
)

// The account databases trustedGroup reads; tests point them elsewhere.
var (
	passwdFile = "/etc/passwd"
	groupFile  = "/etc/group"
)

// GroupMayWrite is the advice for a file, what (like "the policy") at
// path, whose fi, from a Stat, says that its group may write it (mode
// g+w) when that group is neither root's nor its owner's alone
// (trustedGroup): every member of it could change the file and so do
// could. Empty otherwise, and for a file in a directory
// $ARSENAL_SAFE_DIRECTORIES names. sshd refuses such a file (its
// StrictModes), with Debian's allowance for a group that has its owner
// as its only member (a user private group, made with umask 002), and
// sudo a sudoers file whose group, not root's, may write it.
func GroupMayWrite(fi fs.FileInfo, path, what, could string) string {
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok || fi.Mode().Perm()&0o020 == 0 || trustedGroup(st.Gid, st.Uid) {
		return ""
	}
	real := realPath(path)
	if entry := safeEntry(real); entry != "" {
		usedSafe(entry, real, "which "+membersOf(st.Gid)+" may write")
		return ""
	}
	return fmt.Sprintf("%s's mode %s lets %s write it (it is owned by %s) and %s; make it writable by its owner alone: chmod g-w %s, or give it to root's group: chgrp 0 %s; %s",
		what, Octal(fi.Mode()), membersOf(st.Gid), userName(int(st.Uid)), could, path, path, safeHint(hintDir(fi, real), membersOf(st.Gid)))
}

// trustedGroup tells whether the members of group gid may write what
// user owner owns without that being refused: gid is root's (0), or the
// owner is its one member, as in a user private group, going by
// /etc/passwd (whose primary group it is) and /etc/group (who else it
// lists). A group the files do not describe (from a directory service)
// is not trusted: its members cannot be told.
func trustedGroup(gid, owner uint32) bool {
	if gid == 0 {
		return true
	}
	name := ""
	members, ok := 0, true
	scan(passwdFile, func(f []string) {
		if len(f) < 4 {
			return
		}
		uid, err1 := strconv.ParseUint(f[2], 10, 32)
		g, err2 := strconv.ParseUint(f[3], 10, 32)
		if err1 != nil || err2 != nil {
			return
		}
		if uint32(uid) == owner {
			name = f[0]
		}
		if uint32(g) == gid {
			members++
			ok = ok && uint32(uid) == owner
		}
	})
	found := false
	scan(groupFile, func(f []string) {
		if len(f) < 4 || f[2] != strconv.FormatUint(uint64(gid), 10) {
			return
		}
		found = true
		for _, m := range strings.Split(f[3], ",") {
			if m == "" {
				continue
			}
			if m != name || name == "" {
				ok = false
			}
			members++
		}
	})
	return ok && found && members > 0
}

// scan calls line with the colon-separated fields of each entry of the
// file at path; nothing when it cannot be read.
func scan(path string, line func([]string)) {
	f, err := os.Open(path)
	if err != nil {
		return
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		t := sc.Text()
		if t == "" || t[0] == '#' {
			continue
		}
		line(strings.Split(t, ":"))
	}
}

// membersOf is "the members of group GID (NAME)", or without the name
// when no group has gid.
func membersOf(gid uint32) string {
	if g, err := user.LookupGroupId(strconv.FormatUint(uint64(gid), 10)); err == nil && g.Name != "" {
		return fmt.Sprintf("the members of group %d (%s)", gid, g.Name)
	}
	return fmt.Sprintf("the members of group %d", gid)
}

// hintDir is the directory safeHint names for the file or directory at
// real (fi): a directory itself, a file's own directory.
func hintDir(fi fs.FileInfo, real string) string {
	if fi.IsDir() {
		return real
	}
	return filepath.Dir(real)
}

// safeHint is the refusal's word on $ARSENAL_SAFE_DIRECTORIES, for a
// file or directory in dir that who (like "user 1001 (runner)") may
// write.
func safeHint(dir, who string) string {
	msg := fmt.Sprintf("or, if %s may be trusted with it (a CI container whose workspace they own, say), set %s=%s in the environment that starts arsenal-run (the job's, not a playbook's)",
		who, SafeEnv, dir)
	if p := SafeProblem(); p != "" {
		msg += " (" + p + ")"
	}
	return msg
}
