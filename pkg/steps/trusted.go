package steps

import (
	"github.com/arsenal-run/arsenal-run/internal/fsx"
)

// Swappable is the advice for a playbook that serve or schedule runs, on
// every start and reload, with roles that are not its author's (a caller
// key's, --schedule-role, --roles), when a user of the host other than its
// owner and root could change it or put a file of their own in its place
// (fsx.PathAnyoneMayWrite); "" when none could. run does not ask: a user
// runs their own files with their own rights.
func Swappable(path string) string {
	return fsx.PathAnyoneMayWrite(path, "the playbook", "make it run any operation with the roles its callers or its schedule give it")
}

// SwappableDir is Swappable for a directory whose playbooks serve or
// schedule runs: one every user may write lets any of them add a playbook
// there, sticky bit or not (it keeps others' files, not new ones, out).
func SwappableDir(dir string) string {
	return fsx.PathAnyoneMayWrite(dir, "the playbooks directory", "add a playbook, run with the roles its callers or its schedule give it")
}
