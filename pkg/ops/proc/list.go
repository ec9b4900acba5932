package proc

import (
	"context"
	"errors"
	"fmt"
	"os/user"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/shirou/gopsutil/v4/process"

	"github.com/arsenal-run/arsenal-run/pkg/ops"
)

var processFields = []ops.Field{
	{Name: "pid", Type: "integer"},
	{Name: "ppid", Type: "integer"},
	{Name: "name", Type: "string"},
	{Name: "cmdline", Type: "string"},
	{Name: "user", Type: "string", Description: "effective user"},
	{Name: "cpu_percent", Type: "number", Description: "CPU use, 100 = one core: average since start, or over cpu_sample"},
	{Name: "rss_bytes", Type: "integer", Description: "resident memory"},
	{Name: "started_at", Type: "string", Description: "RFC 3339 with milliseconds; pass it to process.signal to guard against pid reuse"},
}

// List is the process.list operation.
type List struct {
	sup *Supervisor       // masks the command lines of the processes it started
	mem *ops.OutputMemory // holds the entries as they are made; nil: none
}

var (
	_ ops.Op             = (*List)(nil)
	_ ops.ParamValidator = (*List)(nil)
)

func listSpec() ops.Spec {
	return ops.Spec{
		Name:       "process.list",
		Perishable: "running processes",
		Description: "List processes, filtered by name, command line, user and CPU use, sorted by pid. " +
			"cpu_percent is the average since the process started, or, with cpu_sample, the use measured over that interval (to find what is busy now).",
		Risk: ops.RiskRead,
		Params: []ops.Param{
			{Name: "name_regex", Type: ops.TypeString, MaxLen: 1024, Description: "regular expression (RE2) the process name must match, e.g. ^worker-[0-9]+$"},
			{Name: "cmdline_regex", Type: ops.TypeString, MaxLen: 1024, Description: "regular expression the full command line must match"},
			{Name: "user", Type: ops.TypeString, Description: "only processes of this user: a name, or a uid; a name this host does not know is refused"},
			{Name: "min_cpu_percent", Type: ops.TypeNumber, Min: ops.Bound(0), Description: "only processes using at least this much CPU"},
			{Name: "cpu_sample", Type: ops.TypeDuration, Max: ops.Bound(60), Description: "measure CPU use over this interval, e.g. 1s, instead of since start"},
			{Name: "limit", Type: ops.TypeInteger, Default: 1000, Min: ops.Bound(1), Max: ops.Bound(100000), Description: "the most processes returned"},
		},
		Output: []ops.Field{
			{Name: "processes", Type: "list", Description: "[{pid, ppid, name, cmdline, user, cpu_percent, rss_bytes, started_at}]"},
			{Name: "count", Type: "integer", Description: "processes matched, before limit"},
			{Name: "truncated", Type: "bool", Description: "more processes matched than limit"},
		},
	}
}

// ValidateParams compiles the regular expressions. The user is looked
// up when the step runs (newFilter), not here: the loader calls this with
// final true for a step whose params are all literal, and the playbook
// may be validated on another host (CI) that lacks the users of the one
// it runs on.
func (*List) ValidateParams(p ops.Params, _ bool) error {
	return checkRegexps(p, "name_regex", "cmdline_regex")
}

// checkUser refuses a user name this host does not know: no process can
// run as it, and a typo (wwwdata) would list none and say nothing. A uid
// needs no name: processes of a uid without one list it as the number.
func checkUser(name string) *ops.ParamError {
	if name == "" {
		return nil
	}
	if _, err := strconv.ParseUint(name, 10, 32); err == nil {
		return nil
	}
	if _, err := user.Lookup(name); err != nil {
		var unknown user.UnknownUserError
		if errors.As(err, &unknown) {
			return &ops.ParamError{Param: "user", Msg: fmt.Sprintf("no user named %q on this host (a typo?); give a user name the host knows, or the numeric uid", name)}
		}
	}
	return nil
}

func checkRegexps(p ops.Params, names ...string) error {
	var errs ops.ParamErrors
	for _, n := range names {
		if p.Known(n) {
			if _, err := regexp.Compile(p.String(n)); err != nil {
				errs = append(errs, &ops.ParamError{Param: n, Msg: fmt.Sprintf("not a valid regular expression: %v", err)})
			}
		}
	}
	if len(errs) > 0 {
		return errs
	}
	return nil
}

// selectorParams are the params that choose processes by pattern.
var selectorParams = []string{"name_regex", "cmdline_regex"}

// anyName are process names and command lines of every shape: a pattern
// that matches all of them matches any process.
var anyName = []string{"a", "Z", "0", "_", "-", ".", "/", " ", ":", "@", "~", "kworker/0:1H-events", "/usr/sbin/sshd -D"}

// checkSelection checks the patterns of an op that acts on every process
// they select (process.signal, process.kill), where selecting all of them
// by mistake takes the host down. Each pattern must compile and must not
// be empty or blank: an input left unset gives "", and no pattern would
// then be a filter. And the patterns given must narrow the choice: one
// that matches any name, such as . or .*, is refused unless the other one
// narrows it. A value still Deferred is checked once it is known.
func checkSelection(p ops.Params) ops.ParamErrors {
	var errs ops.ParamErrors
	var broad []string // given patterns that match any name
	narrowed, pending := false, false
	for _, n := range selectorParams {
		if _, ok := p[n]; !ok {
			continue
		}
		if !p.Known(n) {
			pending = true
			continue
		}
		s := p.String(n)
		if strings.TrimSpace(s) == "" {
			what := "is empty"
			if s != "" {
				what = "is blank"
			}
			errs = append(errs, &ops.ParamError{Param: n, Msg: fmt.Sprintf("%s, which would select every process; give pid, or a %s that names the processes, such as ^nginx$ (when it comes from an input, give the input a value)", what, n)})
			continue
		}
		re, err := regexp.Compile(s)
		if err != nil {
			errs = append(errs, &ops.ParamError{Param: n, Msg: fmt.Sprintf("not a valid regular expression: %v", err)})
			continue
		}
		if matchesAny(re) {
			broad = append(broad, n)
		} else {
			narrowed = true
		}
	}
	if len(errs) == 0 && len(broad) > 0 && !narrowed && !pending {
		n := broad[0]
		errs = append(errs, &ops.ParamError{Param: n, Msg: fmt.Sprintf("%q matches every process, and a signal is never sent to every process on the host; "+
			"give pid, or a pattern that names the processes, such as ^nginx$, or narrow it with %s", p.String(n), other(n))})
	}
	return errs
}

// commonNames are the names and command lines of the processes a host
// runs: a pattern that matches all of them (\S, \w, [a-z], [^0]) selects
// every process that runs in practice, though it may miss a shape of
// anyName (a name of one space) that none has.
var commonNames = []string{
	"systemd", "sshd", "bash", "sh", "cron", "rsyslogd", "dbus-daemon", "agetty", "containerd", "dockerd",
	"nginx", "postgres", "python3", "java", "node", "sleep", "kworker/0:1H-events", "ksoftirqd/0", "migration/0",
	"/usr/sbin/sshd -D", "/lib/systemd/systemd --user", "nginx: worker process", "postgres: checkpointer",
	"/usr/bin/python3 /srv/app/main.py --port 8080", "sleep 60", "-bash",
}

// matchesAny reports whether re matches any process name or command line:
// every shape of one, or every one a host runs in practice.
func matchesAny(re *regexp.Regexp) bool {
	return matchesAll(re, anyName) || matchesAll(re, commonNames)
}

func matchesAll(re *regexp.Regexp, names []string) bool {
	for _, s := range names {
		if !re.MatchString(s) {
			return false
		}
	}
	return true
}

// other names the selector param that is not n.
func other(n string) string {
	if n == "name_regex" {
		return "cmdline_regex"
	}
	return "name_regex"
}

// filter selects processes.
type filter struct {
	name, cmdline *regexp.Regexp
	sup           *Supervisor
	held          *listHold // nil: entries not held
	user          string
	minCPU        float64
}

func newFilter(p ops.Params) (*filter, error) {
	f := &filter{user: p.String("user"), minCPU: p.Float("min_cpu_percent")}
	if err := checkUser(f.user); err != nil {
		return nil, ops.WithClass(ops.ClassValidation, err)
	}
	if uid, err := strconv.ParseUint(f.user, 10, 32); err == nil {
		f.user = users{}.name(uint32(uid)) // as entries name their user
	}
	var err error
	if s := p.String("name_regex"); s != "" {
		if f.name, err = regexp.Compile(s); err != nil {
			return nil, ops.Errorf(ops.ClassValidation, "param name_regex: %v", err)
		}
	}
	if s := p.String("cmdline_regex"); s != "" {
		if f.cmdline, err = regexp.Compile(s); err != nil {
			return nil, ops.Errorf(ops.ClassValidation, "param cmdline_regex: %v", err)
		}
	}
	return f, nil
}

// match lists the processes that pass f, by pid.
func (f *filter) match(ctx context.Context, sample time.Duration) ([]map[string]any, error) {
	all, err := process.ProcessesWithContext(ctx)
	if err != nil {
		if ctx.Err() != nil {
			return nil, context.Cause(ctx)
		}
		return nil, ops.Errorf(ops.ClassExecution, "listing processes: %v", err)
	}
	u := users{}
	now := time.Now()
	var out []map[string]any
	var procs []*process.Process
	for _, p := range all {
		if ctx.Err() != nil {
			return nil, context.Cause(ctx)
		}
		if f.name != nil {
			n, err := p.NameWithContext(ctx)
			if err != nil || !f.name.MatchString(n) {
				continue
			}
		}
		m, ok := facts(ctx, p, u, now)
		if ok {
			// Masked before cmdline_regex sees it: a pattern must
			// not find out a secret by matching it.
			m["cmdline"] = f.sup.MaskCommandLine(m["pid"].(int), m["cmdline"].(string))
		}
		if !ok || f.cmdline != nil && !f.cmdline.MatchString(m["cmdline"].(string)) || f.user != "" && m["user"] != f.user {
			continue
		}
		if f.held != nil {
			if err := f.held.add(m); err != nil {
				return nil, err
			}
		}
		out = append(out, m)
		procs = append(procs, p)
	}
	if sample > 0 {
		if err := sampleCPU(ctx, procs, out, sample); err != nil {
			return nil, err
		}
	}
	kept := out[:0]
	for _, m := range out {
		if m["cpu_percent"].(float64) >= f.minCPU {
			kept = append(kept, m)
		}
	}
	sort.Slice(kept, func(i, j int) bool { return kept[i]["pid"].(int) < kept[j]["pid"].(int) })
	return kept, nil
}

// sampleCPU replaces cpu_percent with the use measured over d.
func sampleCPU(ctx context.Context, procs []*process.Process, out []map[string]any, d time.Duration) error {
	before := make([]float64, len(procs))
	for i, p := range procs {
		if t, err := p.TimesWithContext(ctx); err == nil {
			before[i] = t.User + t.System
		}
	}
	start := time.Now()
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-timer.C:
	case <-ctx.Done():
		return context.Cause(ctx)
	}
	elapsed := time.Since(start).Seconds()
	for i, p := range procs {
		out[i]["cpu_percent"] = 0.0
		if t, err := p.TimesWithContext(ctx); err == nil {
			out[i]["cpu_percent"] = round2((t.User + t.System - before[i]) / elapsed * 100)
		}
	}
	return nil
}

// Execute lists the processes.
func (l *List) Execute(ctx context.Context, p ops.Params) (map[string]any, error) {
	f, err := newFilter(p)
	if err != nil {
		return nil, err
	}
	f.sup = l.sup
	if f.held, err = newListHold(ctx, l.mem); err != nil {
		return nil, err
	}
	defer f.held.release()
	matched, err := f.match(ctx, p.Duration("cpu_sample"))
	if err != nil {
		return nil, err
	}
	limit := p.Int("limit")
	count := len(matched)
	if count > limit {
		matched = matched[:limit]
	}
	f.held.keep(matched) // min_cpu_percent and limit may have left some out
	list := make([]any, len(matched))
	for i, m := range matched {
		list[i] = m
	}
	return map[string]any{"processes": list, "count": count, "truncated": count > limit}, nil
}

// Info is the process.info operation.
type Info struct {
	sup *Supervisor
}

var (
	_ ops.Op             = (*Info)(nil)
	_ ops.ParamValidator = (*Info)(nil)
)

func infoSpec() ops.Spec {
	out := append([]ops.Field{}, processFields...)
	out = append(out,
		ops.Field{Name: "status", Type: "string", Description: "running, sleep, stop, zombie, ..."},
		ops.Field{Name: "num_threads", Type: "integer"},
		ops.Field{Name: "exe", Type: "string", Description: "the executable; null with exe_error when it cannot be read"},
		ops.Field{Name: "cwd", Type: "string", Description: "the working directory; null with cwd_error when it cannot be read"},
		ops.Field{Name: "nice", Type: "integer"},
		ops.Field{Name: "children", Type: "list", Description: "pids of its direct children"},
	)
	return ops.Spec{
		Name:        "process.info",
		Perishable:  "a running process",
		Description: "Describe one process: the process.list fields plus status, threads, executable, working directory, nice and children. A pid that does not exist fails the step.",
		Risk:        ops.RiskRead,
		Params:      []ops.Param{{Name: "pid", Type: ops.TypeInteger, Required: true, Min: ops.Bound(1), Description: "the process id"}},
		Output:      out,
	}
}

// ValidateParams refuses a pid outside the host's range.
func (*Info) ValidateParams(p ops.Params, _ bool) error {
	if p.Known("pid") {
		return checkPID("pid", p.Int("pid"))
	}
	return nil
}

// Execute describes the process.
func (op *Info) Execute(ctx context.Context, p ops.Params) (map[string]any, error) {
	pid := p.Int("pid")
	if e := threadError(pid); e != nil {
		return nil, e
	}
	proc, err := process.NewProcessWithContext(ctx, int32(pid))
	if err != nil {
		return nil, noProcess(pid)
	}
	m, ok := facts(ctx, proc, users{}, time.Now())
	if !ok {
		return nil, noProcess(pid)
	}
	m["cmdline"] = op.sup.MaskCommandLine(pid, m["cmdline"].(string))
	set := func(k string, v any, err error) {
		if err != nil {
			m[k], m[k+"_error"] = nil, err.Error()
			return
		}
		m[k] = v
	}
	st, err := proc.StatusWithContext(ctx)
	status := ""
	if len(st) > 0 {
		status = st[0]
	}
	set("status", status, err)
	n, err := proc.NumThreadsWithContext(ctx)
	set("num_threads", int(n), err)
	exe, err := proc.ExeWithContext(ctx)
	set("exe", exe, err)
	cwd, err := proc.CwdWithContext(ctx)
	set("cwd", cwd, err)
	// gopsutil gives getpriority(2)'s raw value, 20 - nice.
	nice, err := proc.NiceWithContext(ctx)
	set("nice", 20-int(nice), err)
	kids := []any{}
	if cs, err := proc.ChildrenWithContext(ctx); err == nil {
		for _, c := range cs {
			kids = append(kids, int(c.Pid))
		}
	}
	m["children"] = kids
	return m, nil
}
