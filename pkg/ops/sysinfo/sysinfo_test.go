package sysinfo

import (
	"context"
	"encoding/json"
	"os"
	"runtime"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/arsenal-run/arsenal-run/pkg/ops"
	"github.com/arsenal-run/arsenal-run/pkg/ops/internal/opstest"
)

func newRegistry(t *testing.T) *ops.Registry {
	t.Helper()
	r := ops.NewRegistry()
	if err := Register(r); err != nil {
		t.Fatal(err)
	}
	return r
}

// checkFields checks that every declared output field is present, either
// with a value or as null with a reason.
func checkFields(t *testing.T, r *ops.Registry, name string, out map[string]any) {
	t.Helper()
	e, _ := r.Get(name)
	for _, f := range e.Spec.Output {
		v, ok := out[f.Name]
		if !ok {
			t.Errorf("%s: output field %s missing", name, f.Name)
		}
		if v == nil && out[f.Name+"_error"] == nil {
			t.Errorf("%s: %s is null without a %s_error", name, f.Name, f.Name)
		}
	}
	if _, err := json.Marshal(out); err != nil {
		t.Errorf("%s: %v", name, err)
	}
}

func TestSystemOps(t *testing.T) {
	r := newRegistry(t)
	for _, name := range []string{"system.info", "system.disk", "system.memory", "system.load"} {
		out, err := opstest.Execute(r, context.Background(), name, map[string]any{})
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		checkFields(t, r, name, out)
	}
	out, _ := opstest.Execute(r, context.Background(), "system.info", nil)
	host, _ := os.Hostname()
	want := map[string]any{"hostname": host, "os": runtime.GOOS, "cpus": out["cpus"]}
	if diff := cmp.Diff(want, out, cmpopts.IgnoreMapEntries(func(k string, _ any) bool { _, keep := want[k]; return !keep })); diff != "" {
		t.Errorf("system.info (-want +got):\n%s", diff)
	}
	if n, ok := out["cpus"].(int); !ok || n < 1 {
		t.Errorf("cpus = %v", out["cpus"])
	}
	mem, _ := opstest.Execute(r, context.Background(), "system.memory", nil)
	if tot, ok := mem["total"].(int); !ok || tot <= 0 || mem["used_percent"].(float64) < 0 || mem["used_percent"].(float64) > 100 {
		t.Errorf("system.memory = %v", mem)
	}
}

func TestDisk(t *testing.T) {
	r := newRegistry(t)
	dir := t.TempDir()
	ctx := ops.WithCall(context.Background(), &ops.Call{Dir: dir})
	out, err := opstest.Execute(r, ctx, "system.disk", map[string]any{"path": "."})
	if err != nil {
		t.Fatal(err)
	}
	if out["path"] != dir || out["total"].(int) <= 0 || out["used"].(int) > out["total"].(int) {
		t.Errorf("system.disk = %v", out)
	}
	if mp, _ := out["mountpoint"].(string); runtime.GOOS == "linux" && !within(dir, mp) {
		t.Errorf("system.disk of %s: mountpoint %q does not hold it", dir, mp)
	}
	ctx = ops.WithCall(context.Background(), &ops.Call{Dir: dir, Scope: roots{dir}})
	_, err = opstest.Execute(r, ctx, "system.disk", map[string]any{"path": "missing"})
	if want := `param path: ` + dir + `/missing does not exist ("missing" is read from the playbook's directory); give a path on the file system to report`; err == nil || ops.ClassOf(err) != ops.ClassExecution || !strings.Contains(err.Error(), want) {
		t.Errorf("a missing path inside the file roots: %v, want an execution error containing %q", err, want)
	}
	// Outside them, whether a path exists is not told: a missing one is
	// answered as one that exists, by the file system that would hold it.
	missing, err := opstest.Execute(r, ctx, "system.disk", map[string]any{"path": "/no/such/path"})
	if err != nil {
		t.Fatalf("a missing path outside the file roots: %v", err)
	}
	there, err := opstest.Execute(r, ctx, "system.disk", map[string]any{"path": "/"})
	if err != nil || missing["mountpoint"] != there["mountpoint"] || missing["path"] != "/no/such/path" {
		t.Errorf("system.disk of a missing path outside the roots: %v, of /: %v %v", missing, there, err)
	}
}

// TestDiskOfAnEmptyPathIsOfRoot: path "" (an input left empty) reports
// the documented default, /, as no path does. Before, it reported the
// playbook's directory (or the working directory).
func TestDiskOfAnEmptyPathIsOfRoot(t *testing.T) {
	r := newRegistry(t)
	ctx := ops.WithCall(context.Background(), &ops.Call{Dir: t.TempDir()})
	for _, params := range []map[string]any{{"path": ""}, nil} {
		out, err := opstest.Execute(r, ctx, "system.disk", params)
		if err != nil {
			t.Fatal(err)
		}
		if out["path"] != "/" {
			t.Errorf("system.disk with params %v reports path %v, want /", params, out["path"])
		}
	}
}

type roots []string

func (r roots) FileRoots() []string { return r }

// TestDiskNamesTheMountedType: the type is the mount table's (statfs
// cannot tell ext4 from ext2), with the mount point: /dev/shm is a tmpfs.
func TestDiskNamesTheMountedType(t *testing.T) {
	table, err := os.ReadFile("/proc/self/mountinfo")
	if err != nil || !strings.Contains(string(table), " /dev/shm ") || !strings.Contains(string(table), " - tmpfs ") {
		t.Skip("no tmpfs at /dev/shm here")
	}
	dir, err := os.MkdirTemp("/dev/shm", "disk-")
	if err != nil {
		t.Skip(err)
	}
	defer os.RemoveAll(dir)
	r := newRegistry(t)
	out, err := opstest.Execute(r, context.Background(), "system.disk", map[string]any{"path": dir})
	if err != nil {
		t.Fatal(err)
	}
	if out["fstype"] != "tmpfs" || out["mountpoint"] != "/dev/shm" {
		t.Errorf("system.disk of %s: fstype %v, mountpoint %v; want tmpfs at /dev/shm", dir, out["fstype"], out["mountpoint"])
	}
}

func TestWithin(t *testing.T) {
	for _, c := range []struct {
		path, dir string
		want      bool
	}{
		{"/", "/", true}, {"/a/b", "/", true}, {"/a", "/a", true}, {"/a/b", "/a", true},
		{"/ab", "/a", false}, {"/a", "/a/b", false},
	} {
		if got := within(c.path, c.dir); got != c.want {
			t.Errorf("within(%q, %q) = %v, want %v", c.path, c.dir, got, c.want)
		}
	}
}

func TestFactsRecordErrors(t *testing.T) {
	f := facts{}
	f.set("kernel", "6.1", nil)
	f.set("uptime_seconds", 0, os.ErrPermission)
	want := facts{"kernel": "6.1", "uptime_seconds": nil, "uptime_seconds_error": "permission denied"}
	if diff := cmp.Diff(want, f); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}
