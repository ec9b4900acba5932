package engine

import (
	"github.com/arsenal-run/arsenal-run/pkg/inventory"
	"github.com/arsenal-run/arsenal-run/pkg/steps"
)

// WithInventory gives the run's expressions the hosts of inv, read with
// inventory.hosts("group"). Sub-runs of playbook.run get the same. Without
// it, inventory.hosts fails, saying that no inventory is loaded.
func WithInventory(inv *inventory.Inventory) RunOption {
	return func(o *runOptions) { o.inventory = steps.InventoryData(inv) }
}
