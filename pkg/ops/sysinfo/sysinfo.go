// Package sysinfo holds the system.* operations: facts about the host
// (identity, disk, memory, load) read through gopsutil. A fact the host does
// not expose is null in the output, with a "<field>_error" entry saying why;
// it never fails the step.
package sysinfo

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"github.com/shirou/gopsutil/v4/common"
	"github.com/shirou/gopsutil/v4/cpu"
	"github.com/shirou/gopsutil/v4/disk"
	"github.com/shirou/gopsutil/v4/host"
	"github.com/shirou/gopsutil/v4/load"
	"github.com/shirou/gopsutil/v4/mem"

	"github.com/arsenal-run/arsenal-run/pkg/ops"
	"github.com/arsenal-run/arsenal-run/pkg/ops/internal/policy"
)

// Register adds system.info, system.disk, system.memory and system.load.
func Register(r *ops.Registry) error {
	for _, d := range []struct {
		spec ops.Spec
		op   ops.Op
	}{
		{infoSpec, ops.Func(info)},
		{diskSpec, ops.Func(diskUsage)},
		{memSpec, ops.Func(memory)},
		{loadSpec, ops.Func(loadAvg)},
	} {
		if err := r.Register(d.spec, d.op); err != nil {
			return err
		}
	}
	return nil
}

// facts is an output map filled field by field; a failed field is null with
// a <field>_error reason.
type facts map[string]any

func (f facts) set(field string, v any, err error) {
	if err != nil {
		f[field] = nil
		f[field+"_error"] = err.Error()
		return
	}
	f[field] = v
}

func pct(v float64) float64 { return math.Round(v*100) / 100 }

func bytes(v uint64) int {
	if v > math.MaxInt64 {
		return math.MaxInt64
	}
	return int(v)
}

var infoSpec = ops.Spec{
	Name:        "system.info",
	Description: "Describe the host: name, operating system, platform and version, kernel, architecture, CPU count and uptime.",
	Risk:        ops.RiskRead,
	Output: []ops.Field{
		{Name: "hostname", Type: "string"},
		{Name: "os", Type: "string", Description: "linux, darwin, ..."},
		{Name: "platform", Type: "string", Description: "the distribution, e.g. debian or ubuntu"},
		{Name: "platform_family", Type: "string"},
		{Name: "platform_version", Type: "string"},
		{Name: "kernel", Type: "string", Description: "kernel version"},
		{Name: "arch", Type: "string", Description: "machine architecture, e.g. x86_64"},
		{Name: "cpus", Type: "integer", Description: "logical CPUs"},
		{Name: "uptime_seconds", Type: "integer"},
		{Name: "boot_time", Type: "string", Description: "RFC 3339"},
	},
}

func info(ctx context.Context, _ ops.Params) (map[string]any, error) {
	f := facts{"os": runtime.GOOS}
	name, err := os.Hostname()
	f.set("hostname", name, err)
	platform, family, version, err := host.PlatformInformationWithContext(ctx)
	f.set("platform", platform, err)
	f.set("platform_family", family, err)
	f.set("platform_version", version, err)
	kernel, err := host.KernelVersionWithContext(ctx)
	f.set("kernel", kernel, err)
	arch, err := host.KernelArch()
	if err != nil || arch == "" {
		arch, err = runtime.GOARCH, nil
	}
	f.set("arch", arch, err)
	n, err := cpu.CountsWithContext(ctx, true)
	f.set("cpus", n, err)
	up, err := host.UptimeWithContext(ctx)
	f.set("uptime_seconds", bytes(up), err)
	boot, err := host.BootTimeWithContext(ctx)
	f.set("boot_time", time.Unix(int64(boot), 0).UTC().Format(time.RFC3339), err)
	return f, ctx.Err()
}

var diskSpec = ops.Spec{
	Name:        "system.disk",
	Description: "Report the size and usage of the file system holding path, in bytes and inodes. A path that does not exist fails the step when it lies in the caller's file roots; outside them the file system that would hold it answers, so that the step does not tell whether a file exists where file.stat is denied.",
	Risk:        ops.RiskRead,
	Params: []ops.Param{
		{Name: "path", Type: ops.TypeString, Default: "/", MaxLen: 4096, Description: "any path on the file system to report; relative to the playbook's directory; \"\" is the default, /"},
	},
	Output: []ops.Field{
		{Name: "path", Type: "string"},
		{Name: "mountpoint", Type: "string", Description: "where the file system holding path is mounted, from this process's mount table; empty when it cannot be read"},
		{Name: "fstype", Type: "string", Description: "the file system's type as mounted (ext4, xfs, tmpfs…)"},
		{Name: "total", Type: "integer", Description: "bytes"},
		{Name: "used", Type: "integer", Description: "bytes"},
		{Name: "free", Type: "integer", Description: "bytes available to unprivileged users"},
		{Name: "used_percent", Type: "number"},
		{Name: "inodes_total", Type: "integer"},
		{Name: "inodes_used", Type: "integer"},
		{Name: "inodes_free", Type: "integer"},
		{Name: "inodes_used_percent", Type: "number"},
	},
}

func diskUsage(ctx context.Context, p ops.Params) (map[string]any, error) {
	path := p.String("path")
	if path == "" { // an input left empty: the default, not the playbook's directory
		path = "/"
	}
	path, err := policy.Abs(ctx, path)
	if err != nil {
		return nil, ops.Errorf(ops.ClassExecution, "param path: %v", err)
	}
	at := path // where the usage is read
	if _, err := os.Stat(path); err != nil {
		if policy.InRoots(ctx, path) {
			if errors.Is(err, fs.ErrNotExist) {
				return nil, ops.Errorf(ops.ClassExecution, "param path: %s does not exist%s; give a path on the file system to report, such as its mount point (see mount or findmnt)", path, relNote(p.String("path")))
			}
			return nil, ops.Errorf(ops.ClassExecution, "param path: %s: %v", path, err)
		}
		// Outside the caller's file roots, whether a file exists is not
		// told (file.stat would be denied): the file system that would
		// hold it answers, that of its nearest directory that exists.
		for at = filepath.Dir(path); at != filepath.Dir(at); at = filepath.Dir(at) {
			if _, err := os.Stat(at); err == nil {
				break
			}
		}
	}
	u, err := disk.UsageWithContext(ctx, at)
	if err != nil {
		return nil, ops.Errorf(ops.ClassExecution, "disk usage of %s: %v", path, err)
	}
	mountpoint, fstype := "", u.Fstype // statfs's type: ext4 reads as ext2/ext3
	if m, ok := mountOf(ctx, at); ok {
		mountpoint, fstype = m.Mountpoint, m.Fstype
	}
	return map[string]any{
		"path": path, "mountpoint": mountpoint, "fstype": fstype,
		"total": bytes(u.Total), "used": bytes(u.Used), "free": bytes(u.Free), "used_percent": pct(u.UsedPercent),
		"inodes_total": bytes(u.InodesTotal), "inodes_used": bytes(u.InodesUsed), "inodes_free": bytes(u.InodesFree),
		"inodes_used_percent": pct(u.InodesUsedPercent),
	}, nil
}

// relNote says where a relative path given was read from.
func relNote(given string) string {
	if filepath.IsAbs(given) {
		return ""
	}
	return fmt.Sprintf(" (%q is read from the playbook's directory)", given)
}

// mountOf returns the mount that holds path in this process's mount
// table (not PID 1's, which gopsutil reads by default and which another
// mount namespace does not share): the longest mount point containing
// path, symlinks resolved, and of equal ones the last, mounted over the
// others.
func mountOf(ctx context.Context, path string) (disk.PartitionStat, bool) {
	ctx = context.WithValue(ctx, common.EnvKey, common.EnvMap{common.HostProcMountinfo: "/proc/self/mountinfo"})
	parts, err := disk.PartitionsWithContext(ctx, true)
	if err != nil {
		return disk.PartitionStat{}, false
	}
	if real, err := filepath.EvalSymlinks(path); err == nil {
		path = real
	}
	best := -1
	for i, p := range parts {
		if within(path, p.Mountpoint) && (best < 0 || len(p.Mountpoint) >= len(parts[best].Mountpoint)) {
			best = i
		}
	}
	if best < 0 {
		return disk.PartitionStat{}, false
	}
	return parts[best], true
}

// within says whether path is dir or below it.
func within(path, dir string) bool {
	if dir == "/" {
		return strings.HasPrefix(path, "/")
	}
	return path == dir || strings.HasPrefix(path, dir+"/")
}

var memSpec = ops.Spec{
	Name:        "system.memory",
	Description: "Report memory and swap: totals, use and percentages, in bytes.",
	Risk:        ops.RiskRead,
	Output: []ops.Field{
		{Name: "total", Type: "integer"},
		{Name: "available", Type: "integer", Description: "memory that can be given to programs without swapping"},
		{Name: "used", Type: "integer"},
		{Name: "free", Type: "integer"},
		{Name: "used_percent", Type: "number"},
		{Name: "cached", Type: "integer"},
		{Name: "buffers", Type: "integer"},
		{Name: "swap_total", Type: "integer"},
		{Name: "swap_used", Type: "integer"},
		{Name: "swap_free", Type: "integer"},
		{Name: "swap_used_percent", Type: "number"},
	},
}

func memory(ctx context.Context, _ ops.Params) (map[string]any, error) {
	f := facts{}
	vm, err := mem.VirtualMemoryWithContext(ctx)
	if vm == nil {
		vm = &mem.VirtualMemoryStat{}
	}
	f.set("total", bytes(vm.Total), err)
	f.set("available", bytes(vm.Available), err)
	f.set("used", bytes(vm.Used), err)
	f.set("free", bytes(vm.Free), err)
	f.set("used_percent", pct(vm.UsedPercent), err)
	f.set("cached", bytes(vm.Cached), err)
	f.set("buffers", bytes(vm.Buffers), err)
	sw, err := mem.SwapMemoryWithContext(ctx)
	if sw == nil {
		sw = &mem.SwapMemoryStat{}
	}
	f.set("swap_total", bytes(sw.Total), err)
	f.set("swap_used", bytes(sw.Used), err)
	f.set("swap_free", bytes(sw.Free), err)
	f.set("swap_used_percent", pct(sw.UsedPercent), err)
	return f, ctx.Err()
}

var loadSpec = ops.Spec{
	Name:        "system.load",
	Description: "Report the load averages over 1, 5 and 15 minutes and the CPU count, to judge them by.",
	Risk:        ops.RiskRead,
	Output: []ops.Field{
		{Name: "load1", Type: "number"},
		{Name: "load5", Type: "number"},
		{Name: "load15", Type: "number"},
		{Name: "cpus", Type: "integer", Description: "logical CPUs"},
		{Name: "load1_per_cpu", Type: "number", Description: "load1 divided by cpus; above 1 means work is waiting"},
	},
}

func loadAvg(ctx context.Context, _ ops.Params) (map[string]any, error) {
	f := facts{}
	avg, err := load.AvgWithContext(ctx)
	if avg == nil {
		avg = &load.AvgStat{}
	}
	f.set("load1", pct(avg.Load1), err)
	f.set("load5", pct(avg.Load5), err)
	f.set("load15", pct(avg.Load15), err)
	n, cerr := cpu.CountsWithContext(ctx, true)
	f.set("cpus", n, cerr)
	if err == nil && cerr == nil && n > 0 {
		f.set("load1_per_cpu", pct(avg.Load1/float64(n)), nil)
	} else {
		f.set("load1_per_cpu", nil, firstErr(err, cerr))
	}
	return f, ctx.Err()
}

func firstErr(errs ...error) error {
	for _, e := range errs {
		if e != nil {
			return e
		}
	}
	return nil
}
