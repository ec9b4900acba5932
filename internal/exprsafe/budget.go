package exprsafe

import (
	"errors"

	"github.com/expr-lang/expr/file"
)

// MemoryBudget is the VM budget that lets an evaluation use limit units
// of memory: expr fails one once its use reaches the budget, so a budget
// of limit would stop at limit-1 (1..1000000 refused under a documented
// limit of 1,000,000).
func MemoryBudget(limit int) uint { return uint(limit) + 1 }

// OverBudget reports whether err is expr stopping an evaluation that used
// up its memory budget.
func OverBudget(err error) bool {
	var fe *file.Error
	return errors.As(err, &fe) && fe.Message == "memory budget exceeded"
}
