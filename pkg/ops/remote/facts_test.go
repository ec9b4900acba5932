package remote

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/arsenal-run/arsenal-run/pkg/ops"
)

// TestFacts gathers the facts of the "remote" host, which is this machine,
// and compares them with what the test sees locally.
func TestFacts(t *testing.T) {
	srv := startServer(t, serverOpts{})
	p := newPool(t, srv.settings(srv.inventory(t, "box")))
	dir := t.TempDir()
	out, err := execute(t, context.Background(), p, "ssh.facts", map[string]any{"host": "box", "paths": []any{"/", dir, "/no/such/path"}})
	if err != nil {
		t.Fatal(err)
	}
	var uts syscall.Utsname
	if err := syscall.Uname(&uts); err != nil {
		t.Fatal(err)
	}
	str := func(b [65]int8) string {
		var s []byte
		for _, c := range b {
			if c == 0 {
				break
			}
			s = append(s, byte(c))
		}
		return string(s)
	}
	hostname, _ := os.Hostname()
	if out["hostname"] != hostname || out["system"] != "Linux" || out["kernel"] != str(uts.Release) || out["arch"] != str(uts.Machine) || out["host"] != "box" {
		t.Errorf("hostname, system, kernel, arch = %v %v %v %v; want %s Linux %s %s", out["hostname"], out["system"], out["kernel"], out["arch"], hostname, str(uts.Release), str(uts.Machine))
	}
	if b, err := os.ReadFile("/etc/os-release"); err == nil {
		if id := out["os"].(map[string]any)["id"]; id == "" || !strings.Contains(string(b), "ID="+id.(string)) {
			t.Errorf("os %v does not match /etc/os-release", out["os"])
		}
	}
	var si syscall.Sysinfo_t
	syscall.Sysinfo(&si)
	if up, _ := out["uptime_seconds"].(float64); up < float64(si.Uptime)-60 || up > float64(si.Uptime)+60 {
		t.Errorf("uptime %v, want about %d", out["uptime_seconds"], si.Uptime)
	}
	mem, _ := out["memory"].(map[string]any)
	if total, _ := mem["total_bytes"].(int64); total != int64(si.Totalram)*int64(si.Unit) && total/1024 != int64(si.Totalram)*int64(si.Unit)/1024 {
		t.Errorf("memory %v, want total %d", mem, int64(si.Totalram)*int64(si.Unit))
	}
	disks := out["disks"].([]any)
	if len(disks) != 3 {
		t.Fatalf("disks %v", disks)
	}
	var st syscall.Statfs_t
	syscall.Statfs(dir, &st)
	d := disks[1].(map[string]any)
	if total := int64(st.Blocks) * st.Bsize; d["path"] != dir || d["total_bytes"].(int64)/1024 != total/1024 {
		t.Errorf("disk of %s: %v; want total %d", dir, d, total)
	}
	if d := disks[2].(map[string]any); d["path"] != "/no/such/path" || !strings.Contains(d["error"].(string), "No such file") {
		t.Errorf("missing path: %v", d)
	}
	if s := srv.Log.String(); strings.Count(s, "Accepted publickey") != 1 {
		t.Errorf("facts took more than one login:\n%s", s)
	}
}

// TestParseFacts reads output of a host other than Linux: no /proc.
func TestParseFacts(t *testing.T) {
	got := parseFacts("@@hostname\nbsd1\n@@uname\nFreeBSD\n14.0-RELEASE\namd64\n@@os-release\n@@uptime\n@@meminfo\n@@df /\nFilesystem 1024-blocks Used Avail Capacity Mounted on\n/dev/a-very-long-device-name\n 1000 250 750 25% /\n", []string{"/"})
	want := map[string]any{
		"hostname": "bsd1", "system": "FreeBSD", "kernel": "14.0-RELEASE", "arch": "amd64",
		"os":             map[string]any{"id": "", "name": "", "version_id": "", "pretty_name": ""},
		"uptime_seconds": nil, "memory": nil,
		"disks": []any{map[string]any{"path": "/", "filesystem": "/dev/a-very-long-device-name", "mount": "/",
			"total_bytes": int64(1024000), "used_bytes": int64(256000), "available_bytes": int64(768000), "used_percent": 25.0}},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

// TestWait stops sshd, then has ssh.wait try while sshd comes back on the
// same port: it succeeds after several attempts. A host key that does not
// match fails at once; nothing listening ends in a timeout.
func TestWait(t *testing.T) {
	srv := startServer(t, serverOpts{})
	p := newPool(t, srv.settings(srv.inventory(t, "box")))
	srv.Stop()
	type result struct {
		out map[string]any
		err error
	}
	done := make(chan result, 1)
	go func() {
		out, err := execute(t, context.Background(), p, "ssh.wait", map[string]any{"host": "box", "interval": "200ms", "timeout": "60s"})
		done <- result{out, err}
	}()
	time.Sleep(1500 * time.Millisecond)
	srv.Launch(t)
	r := <-done
	if r.err != nil {
		t.Fatal(r.err)
	}
	if n, _ := r.out["attempts"].(int); n < 2 {
		t.Errorf("attempts %v; want several, sshd came back late", r.out["attempts"])
	}
	if ms, _ := r.out["waited_ms"].(int64); ms < 1000 {
		t.Errorf("waited_ms %v", r.out["waited_ms"])
	}
	// The connection made by ssh.wait serves the next step.
	if err := runTrue(t, p, "box", nil); err != nil || p.Stats().Dials != 1 {
		t.Errorf("after ssh.wait: %v, %+v", err, p.Stats())
	}

	other := filepath.Join(t.TempDir(), "other")
	keygen(t, other, "")
	otherPub, _ := os.ReadFile(other + ".pub")
	kh := filepath.Join(t.TempDir(), "known_hosts")
	if err := os.WriteFile(kh, []byte("[127.0.0.1]:"+strconv.Itoa(srv.Port)+" "+string(otherPub)), 0o600); err != nil {
		t.Fatal(err)
	}
	st := srv.settings(srv.inventory(t, "box"))
	st.KnownHosts = []string{kh}
	start := time.Now()
	_, err := execute(t, context.Background(), newPool(t, st), "ssh.wait", map[string]any{"host": "box", "timeout": "60s"})
	var hk *hostKeyError
	if !errors.As(err, &hk) || time.Since(start) > 20*time.Second {
		t.Errorf("changed key: %v after %s", err, time.Since(start))
	}

	st = srv.settings(parseInventory(t, "version: 1\nhosts:\n  gone: {address: 127.0.0.1, port: "+strconv.Itoa(freePort(t))+", identity_file: "+srv.UserKey+"}\n"))
	_, err = execute(t, context.Background(), newPool(t, st), "ssh.wait", map[string]any{"host": "gone", "timeout": "3s", "interval": "200ms"})
	if ops.ClassOf(err) != ops.ClassTimeout || !strings.Contains(err.Error(), "gone did not accept SSH within 3s") || !strings.Contains(err.Error(), "connection refused") {
		t.Errorf("nothing listening: %v (class %s)", err, ops.ClassOf(err))
	}
}

// TestFactsPrintsNoLiveOutput: the facts script's sections are parsed
// into the output, not streamed to the run's live output as if a
// program had printed them.
func TestFactsPrintsNoLiveOutput(t *testing.T) {
	srv := startServer(t, serverOpts{})
	p := newPool(t, srv.settings(srv.inventory(t, "box")))
	var live syncBuffer
	ctx := ops.WithCall(context.Background(), &ops.Call{Output: &live, ErrOutput: &live})
	out, err := execute(t, ctx, p, "ssh.facts", map[string]any{"host": "box"})
	if err != nil {
		t.Fatal(err)
	}
	if out["system"] != "Linux" {
		t.Errorf("facts: %v", out)
	}
	if s := live.String(); s != "" {
		t.Errorf("live output:\n%s", s)
	}
}

// TestParseDisk reads df -P -k output by position, whatever the language
// of its header, past warnings printed before it.
func TestParseDisk(t *testing.T) {
	ok := map[string]any{"path": "/", "filesystem": "/dev/vda", "mount": "/",
		"total_bytes": int64(1024000), "used_bytes": int64(256000), "available_bytes": int64(768000), "used_percent": 25.0}
	for _, tc := range []struct {
		name  string
		lines []string
		want  map[string]any
	}{
		{"English", []string{"Filesystem     1024-blocks  Used Available Capacity Mounted on", "/dev/vda 1000 250 750 25% /"}, ok},
		{"German", []string{"Dateisystem    1024-Blöcke  Benutzt Verfügbar Kapazität Eingehängt auf", "/dev/vda 1000 250 750 25% /"}, ok},
		{"a warning first", []string{"df: warning: something odd", "Filesystem 1024-blocks Used Available Capacity Mounted on", "/dev/vda 1000 250 750 25% /"}, ok},
		{"an error", []string{"df: /nope: No such file or directory"}, map[string]any{"path": "/", "error": "df: /nope: No such file or directory"}},
		{"nothing", nil, map[string]any{"path": "/", "error": "df printed nothing"}},
	} {
		if diff := cmp.Diff(tc.want, disk("/", tc.lines)); diff != "" {
			t.Errorf("%s (-want +got):\n%s", tc.name, diff)
		}
	}
}

// TestFactsTranslatedLocale: a host whose sshd gives sessions another
// language (German here) still has its disks read, and errors in English.
func TestFactsTranslatedLocale(t *testing.T) {
	srv := startServer(t, serverOpts{Config: "SetEnv LANG=C.UTF-8 LANGUAGE=de HOME=" + t.TempDir()})
	p := newPool(t, srv.settings(srv.inventory(t, "box")))
	out, err := execute(t, context.Background(), p, "ssh.exec", map[string]any{"host": "box", "command": []any{"df", "-P", "-k", "/"}})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out["stdout"].(string), "Dateisystem") {
		t.Skipf("df on this machine has no German translation:\n%s", out["stdout"])
	}
	out, err = execute(t, context.Background(), p, "ssh.facts", map[string]any{"host": "box", "paths": []any{"/", "/no/such/path"}})
	if err != nil {
		t.Fatal(err)
	}
	disks := out["disks"].([]any)
	if d := disks[0].(map[string]any); d["used_percent"] == nil || d["error"] != nil || d["mount"] != "/" {
		t.Errorf("disk of /: %v; want it read", d)
	}
	if d := disks[1].(map[string]any); !strings.Contains(fmt.Sprint(d["error"]), "No such file or directory") {
		t.Errorf("missing path: %v; want df's error in English", d)
	}
}
