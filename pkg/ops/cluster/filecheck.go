package cluster

import "github.com/arsenal-run/arsenal-run/pkg/ops"

var (
	_ ops.FileParamChecker = (*Health)(nil)
	_ ops.FileParamChecker = (*Topology)(nil)
)

// FileParams names inventory, which validation reads when it is literal.
func (*Health) FileParams() []string { return []string{"inventory"} }

// CheckFileParam parses the inventory as a run would.
func (*Health) CheckFileParam(_, file string, data []byte) error { return checkInventory(file, data) }

// FileParams names inventory, which validation reads when it is literal.
func (*Topology) FileParams() []string { return []string{"inventory"} }

// CheckFileParam parses the inventory as a run would.
func (*Topology) CheckFileParam(_, file string, data []byte) error { return checkInventory(file, data) }

// checkInventory reports the problems of an inventory file a run would
// refuse, each at its file:line:col.
func checkInventory(file string, data []byte) error {
	_, err := parseInventory(file, data)
	return err
}
