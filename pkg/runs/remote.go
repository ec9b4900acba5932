package runs

// The ssh.* operations of a run. Config.Remote holds what every run of a
// service shares: the inventory that names hosts (for the host parameter,
// inventory.hosts in expressions and the policy's hosts: at preflight),
// the known_hosts files host keys are checked against, and accept-new.
// The CLI's run, schedule and serve load --inventory and --known-hosts
// once and pass them here; nothing else is needed from a front end.
//
// Each run gets a connection pool of its own (remote.NewPool), put in the
// context of its steps (remote.WithPool) and closed when the run ends, so
// a run's connections never outlive it and runs never share a login.

import (
	"context"

	"github.com/arsenal-run/arsenal-run/pkg/ops/remote"
	"github.com/arsenal-run/arsenal-run/pkg/steps"
)

// remotePool returns ctx carrying a new pool for one run, and the func
// that closes it once the run is over.
func (s *Service) remotePool(ctx context.Context) (context.Context, func()) {
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
