package proc

import (
	"context"
	"errors"
	"strings"

	"github.com/shirou/gopsutil/v4/process"

	"github.com/arsenal-run/arsenal-run/internal/redact"
	"github.com/arsenal-run/arsenal-run/pkg/ops"
)

var supervisorParam = ops.Param{Name: "supervisor", Type: ops.TypeString, MaxLen: 63,
	Description: "the name of a supervisor group that process.start filled"}

// oneOf requires exactly one of the named params.
func oneOf(p ops.Params, a, b string) error {
	_, hasA := p[a]
	_, hasB := p[b]
	if hasA == hasB {
		return &ops.ParamError{Param: a, Msg: "give " + a + " or " + b + ", exactly one"}
	}
	return nil
}

// targetOf requires supervisor or pid, and a pid in the host's range.
func targetOf(p ops.Params) error {
	if err := oneOf(p, "supervisor", "pid"); err != nil {
		return err
	}
	if p.Known("pid") {
		return checkPID("pid", p.Int("pid"))
	}
	return nil
}

func childMap(c ChildInfo) map[string]any {
	var code, last any
	if c.ExitCode != nil {
		code = *c.ExitCode
	}
	if c.LastExitCode != nil {
		last = *c.LastExitCode
	}
	var errMsg any
	if c.Error != "" {
		errMsg = c.Error
	}
	m := map[string]any{
		"pid": c.PID, "name": c.Name, "status": c.Status, "restarts": c.Restarts,
		"started_at": formatTime(c.StartedAt), "command": redact.CommandLine(strings.Join(c.Command, " ")),
		"restart": string(c.Restart), "exit_code": code, "last_exit_code": last, "error": errMsg,
	}
	if c.Resources != nil {
		m[ops.ResourcesKey] = c.Resources.Map()
	}
	return m
}

// ChildrenOp is the supervisor.children operation.
type ChildrenOp struct{ sup *Supervisor }

var (
	_ ops.Op             = (*ChildrenOp)(nil)
	_ ops.ParamValidator = (*ChildrenOp)(nil)
)

func childrenSpec() ops.Spec {
	return ops.Spec{
		Name:       "supervisor.children",
		Perishable: "running processes",
		Description: "List the processes of a supervisor group with their status and restart count, " +
			"or, for a pid, every process descended from it (its process tree).",
		Risk: ops.RiskRead,
		Params: []ops.Param{
			supervisorParam,
			{Name: "pid", Type: ops.TypeInteger, Min: ops.Bound(1), Description: "list this process's descendants instead"},
		},
		Output: []ops.Field{
			{Name: "children", Type: "list", Description: "[{pid, name, status, restarts, started_at, command, ...}]; status is running, backoff, exited, failed, gave_up, stopped or unsupervised (running when its supervisor closed; nothing watches it since) for a group, the OS state for a tree; " +
				"for a group, exit_code is how the process pid ended (128+N for signal N), null while it runs, and last_exit_code how the latest of its processes to end ended (a restarted one's predecessor while it runs); " +
				"a group's process that has exited has resources {cpu_user_ms, cpu_sys_ms, max_rss_kb, signal} from its rusage"},
		},
	}
}

// ValidateParams requires supervisor or pid.
func (*ChildrenOp) ValidateParams(p ops.Params, _ bool) error { return targetOf(p) }

// Execute lists the children.
func (op *ChildrenOp) Execute(ctx context.Context, p ops.Params) (map[string]any, error) {
	if !p.Known("pid") {
		cs, err := op.sup.Children(p.String("supervisor"))
		if err != nil {
			return nil, ops.WithClass(ops.ClassExecution, err)
		}
		out := make([]any, len(cs))
		for i, c := range cs {
			out[i] = childMap(c)
		}
		return map[string]any{"children": out}, nil
	}
	pid := p.Int("pid")
	root, err := process.NewProcessWithContext(ctx, int32(pid))
	if err != nil {
		return nil, noProcess(pid)
	}
	// Every process's parent, read once: asking each process of the tree
	// for its children read all of /proc each time, minutes for pid 1
	// of a host with a thousand processes.
	all, err := process.ProcessesWithContext(ctx)
	if err != nil {
		return nil, ops.WithClass(ops.ClassExecution, err)
	}
	children := map[int32][]*process.Process{}
	for _, pr := range all {
		if ctx.Err() != nil {
			return nil, context.Cause(ctx)
		}
		if ppid, err := pr.PpidWithContext(ctx); err == nil {
			children[ppid] = append(children[ppid], pr)
		}
	}
	out := []any{}
	queue := []*process.Process{root}
	seen := map[int32]bool{root.Pid: true}
	for len(queue) > 0 && len(out) < 100000 {
		if ctx.Err() != nil {
			return nil, context.Cause(ctx)
		}
		kids := children[queue[0].Pid]
		queue = queue[1:]
		for _, k := range kids {
			if seen[k.Pid] {
				continue
			}
			seen[k.Pid] = true
			queue = append(queue, k)
			name, _ := k.NameWithContext(ctx)
			ppid, _ := k.PpidWithContext(ctx)
			status := ""
			if st, err := k.StatusWithContext(ctx); err == nil && len(st) > 0 {
				status = st[0]
			}
			var started any
			if ct, err := k.CreateTimeWithContext(ctx); err == nil {
				started = formatTime(msTime(ct))
			}
			cmd, _ := k.CmdlineWithContext(ctx)
			// Masked as process.list masks it: a started process's
			// secrets, in its forks' command lines too.
			cmd = op.sup.MaskCommandLine(int(k.Pid), cmd)
			out = append(out, map[string]any{"pid": int(k.Pid), "ppid": int(ppid), "name": name, "status": status,
				"restarts": 0, "started_at": started, "command": cmd})
		}
	}
	return map[string]any{"children": out}, nil
}

// RestartOp is the supervisor.restart operation.
type RestartOp struct{ sup *Supervisor }

var (
	_ ops.Op             = (*RestartOp)(nil)
	_ ops.ParamValidator = (*RestartOp)(nil)
)

func restartSpec() ops.Spec {
	return ops.Spec{
		Name: "supervisor.restart",
		Description: "Restart the processes of a supervisor group now, or the one supervised process with pid: " +
			"each gets SIGTERM (SIGKILL after a grace period) and is started again at once. Stopped or given-up processes are started again.",
		Risk: ops.RiskDestructive,
		Params: []ops.Param{
			supervisorParam,
			{Name: "pid", Type: ops.TypeInteger, Min: ops.Bound(2), Description: "restart only the supervised process with this pid (running, or its last pid when it has ended)"},
		},
		Output: []ops.Field{{Name: "restarted", Type: "list", Description: "the new pids"}},
	}
}

// ValidateParams requires supervisor or pid.
func (*RestartOp) ValidateParams(p ops.Params, _ bool) error { return targetOf(p) }

// Execute restarts.
func (op *RestartOp) Execute(ctx context.Context, p ops.Params) (map[string]any, error) {
	if p.Known("pid") {
		pid, err := op.sup.RestartPID(ctx, p.Int("pid"))
		if err != nil {
			return nil, classify(ctx, err)
		}
		return map[string]any{"restarted": []any{pid}}, nil
	}
	pids, err := op.sup.Restart(ctx, p.String("supervisor"))
	out := make([]any, len(pids))
	for i, pid := range pids {
		out[i] = pid
	}
	if err != nil {
		return map[string]any{"restarted": out}, classify(ctx, err)
	}
	return map[string]any{"restarted": out}, nil
}

func classify(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return context.Cause(ctx)
	}
	return ops.WithClass(ops.ClassExecution, err)
}

// StopOp is the supervisor.stop operation.
type StopOp struct{ sup *Supervisor }

var _ ops.Op = (*StopOp)(nil)

func stopSpec() ops.Spec {
	return ops.Spec{
		Name: "supervisor.stop",
		Description: "Stop every process of a supervisor group (SIGTERM, then SIGKILL after a grace period) and remove the group. " +
			"A group that does not exist (never started, or stopped already) fails the step unless missing_ok says that is fine.",
		Risk: ops.RiskDestructive,
		Params: []ops.Param{
			{Name: "supervisor", Type: ops.TypeString, Required: true, MaxLen: 63, Description: supervisorParam.Description},
			{Name: "missing_ok", Type: ops.TypeBool, Default: false,
				Description: "succeed with stopped: [] when the group does not exist (never started, or stopped already), as in \"stop the workers, if any\""},
		},
		Output: []ops.Field{{Name: "stopped", Type: "list", Description: "pids that were running"}},
	}
}

// Execute stops the group.
func (op *StopOp) Execute(ctx context.Context, p ops.Params) (map[string]any, error) {
	pids, err := op.sup.Stop(ctx, p.String("supervisor"))
	out := make([]any, len(pids))
	for i, pid := range pids {
		out[i] = pid
	}
	switch {
	case errors.Is(err, errNoGroup) && p.Bool("missing_ok"):
		return map[string]any{"stopped": out}, nil
	case errors.Is(err, errNoGroup):
		return nil, ops.WithClass(ops.ClassExecution, &tagged{errNoGroup, err.Error() + "; set missing_ok: true if the group may be gone already"})
	case err != nil:
		return map[string]any{"stopped": out}, classify(ctx, err)
	}
	return map[string]any{"stopped": out}, nil
}
