package runs

// The ssh.* operations of a run. Config.Remote holds what every run of a
// service shares: the inventory that names hosts (for the host parameter,
// inventory.hosts in expressions and the policy's hosts: at preflight),
// the known_hosts files host keys are checked against, and accept-new.
// The CLI's run, schedule and serve load --inventory and --known-hosts
// once and pass them here; nothing else is needed from a front end.
//
// Each run that may reach a host gets a connection pool of its own
// (remote.NewPool), put in the context of its steps (remote.WithPool) and
// closed when the run ends, so a run's connections never outlive it and
// runs never share a login. A run that cannot (no ssh.* step, no
// playbook.run) gets none: every API execute of a local operation would
// otherwise make one.

import (
	"context"

	"github.com/arsenal-run/arsenal-run/pkg/engine"
	"github.com/arsenal-run/arsenal-run/pkg/ops/remote"
	"github.com/arsenal-run/arsenal-run/pkg/steps"
)

// remotePool returns ctx carrying a new pool for one run of plan, and the
// func that closes it once the run is over; ctx itself and a func that
// does nothing when no step of plan can reach a host.
func (s *Service) remotePool(ctx context.Context, plan *engine.Plan) (context.Context, func()) {
	if !plan.AnyStep(s.mayConnect) {
		return ctx, noClose
	}
	settings := s.cfg.Remote
	settings.RefuseSwappable = s.cfg.RefuseSwappable
	pool := remote.NewPool(settings)
	return remote.WithPool(ctx, pool), func() { pool.Close() }
}

// checkInventory refuses, before a run starts, a playbook whose
// inventory.hosts names a group (or host, or tag) the configured inventory
// lacks, or that calls inventory.hosts with no inventory configured, or
// one with a step whose literal host is neither an inventory host nor an
// address.
func (s *Service) checkInventory(pb *steps.Playbook) error {
	if len(pb.Inventory) == 0 {
		return nil
	}
	return pb.CheckInventory(s.cfg.Remote.Inventory)
}

func noClose() {}

// mayConnect reports whether st may connect to a remote host: its
// operation is one of the ssh.* (remote.HostTarget), or it runs a
// sub-playbook, whose steps share the run's pool. What an operation is
// is kept by entry, as finding out takes reflection.
func (s *Service) mayConnect(st *steps.Step) bool {
	if st.Op == steps.SubPlaybookOp {
		return true
	}
	if st.Entry == nil {
		return false
	}
	if v, ok := s.hostOps.Load(st.Entry); ok {
		return v.(bool)
	}
	var ht remote.HostTarget
	is := st.Entry.As(&ht)
	s.hostOps.Store(st.Entry, is)
	return is
}
