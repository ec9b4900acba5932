package auth

import (
	"slices"
	"strings"

	"github.com/arsenal-run/arsenal-run/pkg/ops"
)

// startsPrograms reports whether an operation runs a program of the
// caller's choosing on this host: process.start, and every operation that
// reports what its local child used (shell.exec, plugins; see
// ops.ResourcesField).
func startsPrograms(s *ops.Spec) bool {
	return s.Name == "process.start" || slices.ContainsFunc(s.Output, func(f ops.Field) bool { return f.Name == ops.ResourcesKey })
}

// warnUnboundLimits warns about each role of the file that denies
// process.kill or sets signal_others: false, and yet may start programs:
// kill -9 PID is a program too, so those limits bind the process
// operations only, not a role that may run kill itself. The policy loads;
// it is likely not what its author meant.
func (l *policyLoader) warnUnboundLimits() {
	if l.reg == nil {
		return
	}
	var runners []*ops.Entry
	for _, e := range l.reg.List("") {
		if startsPrograms(&e.Spec) {
			runners = append(runners, e)
		}
	}
	names := make([]string, 0, len(l.pos))
	for n := range l.pos {
		names = append(names, n)
	}
	slices.Sort(names)
	for _, name := range names {
		rs, err := l.p.expand([]string{name})
		if err != nil {
			continue // reported already
		}
		// Not remembered: the policy is not complete yet.
		subject, err := l.p.subject([]string{name}, nil, false)
		if err != nil {
			continue
		}
		var limits []string
		if deny := killDeny(rs); deny != "" && !subject.Decide("process.kill", ops.RiskDestructive).Allowed {
			limits = append(limits, "denies process.kill ("+deny+")")
		}
		if !newScope(rs).signalOthers {
			limits = append(limits, "sets signal_others: false")
		}
		if len(limits) == 0 {
			continue
		}
		var may []string
		for _, e := range runners {
			if subject.Decide(e.Spec.Name, e.Spec.Risk).Allowed {
				may = append(may, e.Spec.Name)
			}
		}
		if len(may) == 0 {
			continue
		}
		list := strings.Join(may, ", ")
		if len(may) > 4 {
			list = strings.Join(may[:4], ", ") + ", …"
		}
		binds := "that limit binds"
		if len(limits) > 1 {
			binds = "those limits bind"
		}
		l.d.Warn(l.pos[name], "role %s %s, yet it may run programs (%s), and a program can signal or kill any process this user may (kill -9 PID): %s the process operations only, not this role. If it must not kill, add deny: [%s] (or allow by name what it needs, like process.list, process.info and process.signal, rather than process.*)",
			name, strings.Join(limits, " and "), list, binds, list)
	}
}

// killDeny returns the first deny pattern of rs that matches process.kill,
// as written, or "".
func killDeny(rs []*Role) string {
	for _, r := range rs {
		for _, p := range r.Deny {
			if Match(p, "process.kill") {
				return "deny " + p
			}
		}
	}
	return ""
}
