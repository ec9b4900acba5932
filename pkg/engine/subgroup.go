package engine

import (
	"context"
	"fmt"
	"slices"
)

// SubGroup is the concurrency group of a sub-run of playbook.run, as
// Groups.Acquire is asked for it.
type SubGroup struct {
	Group  string // the group, interpolated
	Policy string // the playbook's concurrency.policy; "" is queue
	RunID  string // the sub-run's id
	// Notice says what the sub-run waits for: in the calling step's log
	// and its run's events (the "waiting for concurrency group" line a
	// top-level run prints).
	Notice func(format string, args ...any)
}

// Groups gives a sub-run of playbook.run its playbook's concurrency group,
// the way the run service gives one to a run it starts, so that two runs
// of one group never overlap whether they were started as runs or as
// sub-playbooks. The engine asks only for groups no enclosing run holds:
// a sub-playbook of its caller's group (or of any ancestor's) is already
// inside it, and waiting would wait for itself.
type Groups interface {
	// Acquire waits for the group as the policy says, until ctx ends. It
	// returns the context the sub-run runs under (ended when another run
	// of the group replaces it, policy cancel_running) and the func that
	// gives the group up; or an error, which ends the playbook.run step
	// without running the sub-playbook (policy skip, a cancellation
	// while it waited, a group that could not be recorded).
	Acquire(ctx context.Context, g SubGroup) (context.Context, func(), error)
}

type groupsKey struct{}

// groupsCtx is what a run's context carries for its sub-runs' groups.
type groupsCtx struct {
	g    Groups
	held []string // the groups the run and its ancestors hold
}

// WithGroups returns ctx for Plan.Run: the sub-runs of the run take their
// playbooks' concurrency groups through g, and treat the groups in held
// (the run's own, which its starter took) as theirs already. Without it,
// a sub-playbook's concurrency: is not enforced (a bare engine, as in
// tests and tools that run one playbook alone).
func WithGroups(ctx context.Context, g Groups, held ...string) context.Context {
	return context.WithValue(ctx, groupsKey{}, &groupsCtx{g: g, held: slices.DeleteFunc(slices.Clone(held), func(s string) bool { return s == "" })})
}

// subGroup takes the concurrency group of the sub-run r of plan, if it
// has one that no enclosing run holds. It returns the context to run r
// under and the func that gives the group up (a no-op when none was
// taken).
func subGroup(ctx context.Context, plan *Plan, r *run, call func(level, text string)) (context.Context, func(), error) {
	gc, _ := ctx.Value(groupsKey{}).(*groupsCtx)
	if gc == nil || gc.g == nil || r.o.dryRun {
		// A dry run changes nothing and waits for no group, as at the top.
		return ctx, func() {}, nil
	}
	group, ok, err := plan.ConcurrencyGroup(r.inputs, r.o.environ)
	if err != nil {
		return nil, nil, err
	}
	if !ok || slices.Contains(gc.held, group) {
		return ctx, func() {}, nil
	}
	notice := func(format string, args ...any) {
		msg := fmt.Sprintf(format, args...)
		r.log.Info().Msg(msg)
		if call != nil {
			call("info", msg)
		}
	}
	sctx, release, err := gc.g.Acquire(ctx, SubGroup{Group: group, Policy: plan.ConcurrencyPolicy(), RunID: r.id, Notice: notice})
	if err != nil {
		return nil, nil, err
	}
	// The sub-run's own sub-runs are inside its group too.
	inner := &groupsCtx{g: gc.g, held: append(slices.Clone(gc.held), group)}
	return context.WithValue(sctx, groupsKey{}, inner), release, nil
}
