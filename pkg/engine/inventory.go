package engine

import (
	"github.com/arsenal-run/arsenal-run/pkg/inventory"
)

// WithInventory gives the run's expressions the hosts of inv, read with
// inventory.hosts("group"). Sub-runs of playbook.run get the same. Without
// it, inventory.hosts fails, saying that no inventory is loaded.
func WithInventory(inv *inventory.Inventory) RunOption {
	return RunOption{kind: optInventory, val: inv}
}
