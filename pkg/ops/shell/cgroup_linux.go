package shell

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
)

var cgSeq atomic.Uint64

// pidsCgroupBase finds, once, the directory under which sandbox cgroups with
// a pids controller can be created. A variable so tests can replace it.
var pidsCgroupBase = sync.OnceValues(discoverPidsCgroup)

// newCgroup creates a sandbox cgroup under base.
func newCgroup(base string) (string, error) {
	dir := filepath.Join(base, fmt.Sprintf("arsenal-run-sandbox-%d-%d", os.Getpid(), cgSeq.Add(1)))
	return dir, os.Mkdir(dir, 0o755)
}

// newPidsCgroup creates a cgroup under base that allows at most n
// processes (0 = no limit).
func newPidsCgroup(base string, n int) (string, error) {
	dir, err := newCgroup(base)
	if err != nil {
		return "", err
	}
	limit := "max"
	if n > 0 {
		limit = strconv.Itoa(n)
	}
	if err := os.WriteFile(filepath.Join(dir, "pids.max"), []byte(limit), 0); err != nil {
		os.Remove(dir)
		return "", fmt.Errorf("setting pids.max in %s: %w", dir, err)
	}
	return dir, nil
}

// memoryCgroupBase finds, once, the directory under which sandbox cgroups
// with a memory controller of their own can be created when the pids
// cgroup has none: with cgroup v1, this process's own memory cgroup. A
// variable so tests can replace it.
var memoryCgroupBase = sync.OnceValues(discoverMemoryCgroupV1)

// limitCgroupMemory bounds the memory of every process in the cgroup dir
// together to n bytes, without swap. It fails when dir has no memory
// controller: with cgroup v2, when its parent does not delegate memory
// (cgroup.controllers of dir lacks it, as cgroup.subtree_control of the
// parent does); with cgroup v1, when memory is not mounted with the
// hierarchy dir is in.
func limitCgroupMemory(dir string, n int64) error {
	limit := []byte(strconv.FormatInt(n, 10))
	if b, err := os.ReadFile(filepath.Join(dir, "cgroup.controllers")); err == nil {
		if !hasOption(strings.Join(strings.Fields(string(b)), ","), "memory") {
			return errors.New("the memory controller is not enabled in the parent cgroup")
		}
		if err := os.WriteFile(filepath.Join(dir, "memory.max"), limit, 0); err != nil {
			return err
		}
		if swap := filepath.Join(dir, "memory.swap.max"); exists(swap) {
			return os.WriteFile(swap, []byte("0"), 0)
		}
		return nil
	}
	if err := os.WriteFile(filepath.Join(dir, "memory.limit_in_bytes"), limit, 0); err != nil {
		return err
	}
	// memory.memsw is memory plus swap: equal to the limit, no swap.
	if memsw := filepath.Join(dir, "memory.memsw.limit_in_bytes"); exists(memsw) {
		return os.WriteFile(memsw, limit, 0)
	}
	return nil
}

func exists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

// discoverMemoryCgroupV1 returns this process's own cgroup in a cgroup v1
// hierarchy that has the memory controller and not pids (whose cgroup, if
// any, has it already), where a child can be given a limit of its own.
func discoverMemoryCgroupV1() (string, error) {
	own, err := os.ReadFile("/proc/self/cgroup")
	if err != nil {
		return "", err
	}
	var path string
	for _, line := range strings.Split(string(own), "\n") {
		parts := strings.SplitN(line, ":", 3)
		if len(parts) == 3 && hasOption(parts[1], "memory") && !hasOption(parts[1], "pids") {
			path = parts[2]
		}
	}
	if path == "" {
		return "", errors.New("no cgroup v1 memory hierarchy")
	}
	mounts, err := os.Open("/proc/self/mountinfo")
	if err != nil {
		return "", err
	}
	defer mounts.Close()
	sc := bufio.NewScanner(mounts)
	for sc.Scan() {
		pre, post, ok := strings.Cut(sc.Text(), " - ")
		f, g := strings.Fields(pre), strings.Fields(post)
		if ok && len(f) >= 5 && len(g) >= 3 && g[0] == "cgroup" && hasOption(g[2], "memory") {
			dir := filepath.Join(unescapeMount(f[4]), relCgroup(unescapeMount(f[3]), path))
			if exists(filepath.Join(dir, "memory.limit_in_bytes")) {
				return dir, nil
			}
		}
	}
	return "", errors.New("the cgroup v1 memory hierarchy is not mounted")
}

// cgroupPids lists the processes in the cgroup dir.
func cgroupPids(dir string) []int {
	if dir == "" {
		return nil
	}
	b, err := os.ReadFile(filepath.Join(dir, "cgroup.procs"))
	if err != nil {
		return nil
	}
	var pids []int
	for _, f := range strings.Fields(string(b)) {
		if n, err := strconv.Atoi(f); err == nil {
			pids = append(pids, n)
		}
	}
	return pids
}

// discoverPidsCgroup looks for a pids controller this process can create
// cgroups under: with cgroup v1, its own pids cgroup; with cgroup v2, the
// parent of its own cgroup when that one has pids.max (so a sibling gets
// one too), or the root of the hierarchy when it delegates pids.
func discoverPidsCgroup() (string, error) {
	own, err := os.ReadFile("/proc/self/cgroup")
	if err != nil {
		return "", err
	}
	var v1, v2 string
	hasV1, hasV2 := false, false
	for _, line := range strings.Split(string(own), "\n") {
		parts := strings.SplitN(line, ":", 3)
		if len(parts) != 3 {
			continue
		}
		if parts[0] == "0" && parts[1] == "" {
			v2, hasV2 = parts[2], true
		}
		for _, c := range strings.Split(parts[1], ",") {
			if c == "pids" {
				v1, hasV1 = parts[2], true
			}
		}
	}
	mounts, err := os.Open("/proc/self/mountinfo")
	if err != nil {
		return "", err
	}
	defer mounts.Close()
	var v2Dir, v2Mount string
	sc := bufio.NewScanner(mounts)
	for sc.Scan() {
		pre, post, ok := strings.Cut(sc.Text(), " - ")
		f, g := strings.Fields(pre), strings.Fields(post)
		if !ok || len(f) < 5 || len(g) < 3 {
			continue
		}
		root, mp := unescapeMount(f[3]), unescapeMount(f[4])
		switch {
		case g[0] == "cgroup" && hasV1 && hasOption(g[2], "pids"):
			dir := filepath.Join(mp, relCgroup(root, v1))
			if fi, err := os.Stat(filepath.Join(dir, "pids.max")); err == nil && !fi.IsDir() || dir == mp {
				return dir, nil
			}
		case g[0] == "cgroup2" && hasV2:
			v2Dir, v2Mount = filepath.Join(mp, relCgroup(root, v2)), mp
		}
	}
	if v2Dir != "" {
		if _, err := os.Stat(filepath.Join(v2Dir, "pids.max")); err == nil && v2Dir != v2Mount {
			return filepath.Dir(v2Dir), nil
		}
		if b, err := os.ReadFile(filepath.Join(v2Mount, "cgroup.subtree_control")); err == nil && v2Dir == v2Mount && hasOption(strings.ReplaceAll(strings.TrimSpace(string(b)), " ", ","), "pids") {
			return v2Mount, nil
		}
	}
	return "", errors.New("no cgroup with a pids controller found")
}

func relCgroup(root, path string) string {
	if rel, err := filepath.Rel(root, path); err == nil && !strings.HasPrefix(rel, "..") {
		return rel
	}
	return path
}

func hasOption(opts, want string) bool {
	for _, o := range strings.Split(opts, ",") {
		if o == want {
			return true
		}
	}
	return false
}

// unescapeMount undoes the octal escapes of /proc/self/mountinfo.
func unescapeMount(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+3 < len(s) {
			if n, err := strconv.ParseUint(s[i+1:i+4], 8, 8); err == nil {
				b.WriteByte(byte(n))
				i += 3
				continue
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
}
