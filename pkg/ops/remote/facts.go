package remote

import (
	"bufio"
	"context"
	"math"
	"strconv"
	"strings"

	"github.com/arsenal-run/arsenal-run/pkg/ops"
)

// Facts is the ssh.facts operation.
type Facts struct{ base }

var (
	_ ops.Op             = (*Facts)(nil)
	_ ops.ParamValidator = (*Facts)(nil)
)

func factsSpec() ops.Spec {
	return ops.Spec{
		Name: "ssh.facts",
		Description: "Describe a remote host in one round trip: host name, operating system, kernel, architecture, uptime, " +
			"memory and the disks holding the given paths. Reads /etc/os-release, /proc/uptime and /proc/meminfo, so a host " +
			"other than Linux may report no uptime or memory (null). Changes nothing.",
		Risk: ops.RiskRead,
		Params: []ops.Param{
			hostParam(),
			{Name: "paths", Type: ops.TypeList, Items: ops.TypeString, Default: []any{"/"}, MaxLen: 64,
				Description: "report the file systems holding these remote paths"},
			passphraseParam(),
		},
		Output: []ops.Field{
			{Name: "host", Type: "string"},
			{Name: "hostname", Type: "string", Description: "the name the host gives itself"},
			{Name: "system", Type: "string", Description: "uname -s, e.g. Linux"},
			{Name: "kernel", Type: "string", Description: "uname -r"},
			{Name: "arch", Type: "string", Description: "uname -m, e.g. x86_64"},
			{Name: "os", Type: "map", Description: "{id, name, version_id, pretty_name} from /etc/os-release; empty strings when absent"},
			{Name: "uptime_seconds", Type: "number", Description: "seconds since boot, or null"},
			{Name: "memory", Type: "map", Description: "{total_bytes, available_bytes, used_percent}, or null"},
			{Name: "disks", Type: "list", Description: "[{path, filesystem, mount, total_bytes, used_bytes, available_bytes, used_percent}] in the order of paths; {path, error} for a path df cannot report"},
		},
	}
}

// ValidateParams checks the paths.
func (*Facts) ValidateParams(p ops.Params, _ bool) error {
	var errs ops.ParamErrors
	checkHost(p, &errs)
	for i, v := range p.List("paths") {
		if s, ok := v.(string); ok && (s == "" || strings.ContainsAny(s, "\n\x00")) {
			errs = append(errs, &ops.ParamError{Param: "paths", Msg: "item " + strconv.Itoa(i) + " is empty or holds a line break or NUL byte"})
		}
	}
	return errsOrNil(errs)
}

// factsScript prints every fact in sections; the paths are its arguments.
// It runs in the C locale: a host whose sshd or profile sets another
// language (LANG=de_DE.UTF-8, LANGUAGE=de) would have df print its header
// and errors in it.
const factsScript = `LC_ALL=C; export LC_ALL; unset LANGUAGE
echo @@hostname; hostname 2>/dev/null || uname -n
echo @@uname; uname -s; uname -r; uname -m
echo @@os-release; cat /etc/os-release 2>/dev/null
echo @@uptime; cat /proc/uptime 2>/dev/null
echo @@meminfo; cat /proc/meminfo 2>/dev/null
for p; do printf '@@df %s\n' "$p"; df -P -k -- "$p" 2>&1; done
exit 0`

// Execute gathers the facts.
func (f *Facts) Execute(ctx context.Context, p ops.Params) (map[string]any, error) {
	pool, h, err := f.target(ctx, p)
	if err != nil {
		return nil, err
	}
	paths := p.Strings("paths")
	cmd := newCommand(append([]string{"/bin/sh", "-c", factsScript, "sh"}, paths...), "", nil, "", nil, "")
	cmd.name, cmd.op = "ssh.facts", "ssh.facts"
	// Its output is held in the process's output memory as it comes,
	// as ssh.exec's is: a host can print as much as it likes.
	cmd.mem = f.mem
	// The script's sections are the step's output, not lines for people
	// to follow live.
	quiet := *ops.CallFrom(ctx)
	quiet.Output, quiet.ErrOutput = nil, nil
	res, err := pool.run(ops.WithCall(ctx, &quiet), h, authOpts{passphrase: p.String("key_passphrase")}, cmd)
	if err != nil {
		return nil, err
	}
	out := parseFacts(res.stdout, paths)
	out["host"] = h.Name
	return out, nil
}

// parseFacts reads the sections factsScript prints.
func parseFacts(s string, paths []string) map[string]any {
	sections := map[string][]string{}
	cur := ""
	sc := bufio.NewScanner(strings.NewReader(s))
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if name, ok := strings.CutPrefix(line, "@@"); ok {
			cur = name
			sections[cur] = []string{}
			continue
		}
		sections[cur] = append(sections[cur], line)
	}
	first := func(name string, i int) string {
		if l := sections[name]; i < len(l) {
			return strings.TrimSpace(l[i])
		}
		return ""
	}
	out := map[string]any{
		"hostname": first("hostname", 0),
		"system":   first("uname", 0),
		"kernel":   first("uname", 1),
		"arch":     first("uname", 2),
		"os":       osRelease(sections["os-release"]),
	}
	out["uptime_seconds"] = nil
	if f := strings.Fields(first("uptime", 0)); len(f) > 0 {
		if v, err := strconv.ParseFloat(f[0], 64); err == nil {
			out["uptime_seconds"] = v
		}
	}
	out["memory"] = memInfo(sections["meminfo"])
	disks := make([]any, 0, len(paths))
	for _, p := range paths {
		disks = append(disks, disk(p, sections["df "+p]))
	}
	out["disks"] = disks
	return out
}

func osRelease(lines []string) map[string]any {
	out := map[string]any{"id": "", "name": "", "version_id": "", "pretty_name": ""}
	for _, l := range lines {
		k, v, ok := strings.Cut(l, "=")
		key := strings.ToLower(k)
		if _, want := out[key]; !ok || !want {
			continue
		}
		if uq, err := strconv.Unquote(v); err == nil {
			v = uq
		} else {
			v = strings.Trim(v, `'"`)
		}
		out[key] = v
	}
	return out
}

func memInfo(lines []string) any {
	kb := map[string]float64{}
	for _, l := range lines {
		f := strings.Fields(l)
		if len(f) >= 2 {
			if v, err := strconv.ParseFloat(f[1], 64); err == nil {
				kb[strings.TrimSuffix(f[0], ":")] = v
			}
		}
	}
	total, ok := kb["MemTotal"]
	if !ok || total <= 0 {
		return nil
	}
	avail, ok := kb["MemAvailable"]
	if !ok {
		avail = kb["MemFree"] + kb["Buffers"] + kb["Cached"]
	}
	return map[string]any{
		"total_bytes":     int64(total) * 1024,
		"available_bytes": int64(avail) * 1024,
		"used_percent":    percent(total-avail, total),
	}
}

// disk reads df -P -k output for one path by position, not by the words
// of its header, which are the host's language: the header line, then the
// file system's line, whose fields POSIX fixes (device, 1024-blocks, used,
// available, capacity, mount point). A long device name may wrap that line
// in two; lines before the header (warnings on stderr) are skipped.
func disk(path string, lines []string) map[string]any {
	for i := range lines {
		// lines[i] is taken for the header.
		f := strings.Fields(strings.Join(lines[i+1:], " "))
		if len(f) < 6 || !strings.HasSuffix(f[4], "%") {
			continue
		}
		total, e1 := strconv.ParseInt(f[1], 10, 64)
		used, e2 := strconv.ParseInt(f[2], 10, 64)
		avail, e3 := strconv.ParseInt(f[3], 10, 64)
		if e1 != nil || e2 != nil || e3 != nil {
			continue
		}
		return map[string]any{
			"path": path, "filesystem": f[0], "mount": strings.Join(f[5:], " "),
			"total_bytes": total * 1024, "used_bytes": used * 1024, "available_bytes": avail * 1024,
			// As df computes Capacity: used of what a user can have.
			"used_percent": percent(float64(used), float64(used+avail)),
		}
	}
	msg := strings.TrimSpace(strings.Join(lines, " "))
	if msg == "" {
		msg = "df printed nothing"
	}
	return map[string]any{"path": path, "error": msg}
}

func percent(part, whole float64) float64 {
	if whole <= 0 {
		return 0
	}
	return math.Round(part/whole*1000) / 10
}
