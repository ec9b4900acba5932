// Package builtin registers every operation that ships with arsenal-run:
// control.*, shell.exec, http.request, file.*, archive.*, process.*,
// supervisor.*, system.*, net.*, cluster.*, ssh.* and notify.*. (playbook.run
// needs the engine and is registered by it.)
//
// Run-time authorization: ops read the caller's scope from ops.Call.Scope.
// A scope that implements FileRoots confines the file and archive ops (and
// inventory files, and shell.exec's output files) to its directory trees; one that implements DialPolicy is asked
// before every network connection that http.request, net.* and cluster.*
// make, with the resolved IP; SignalPolicy can keep process.signal and
// process.kill to the processes arsenal-run started; SandboxPolicy can make
// shell.exec refuse to run unsandboxed; HostPolicy keeps ssh.* to the
// hosts it allows. Refusals are errors wrapping ops.ErrDenied, of class
// authorization.
package builtin

import (
	"github.com/arsenal-run/arsenal-run/pkg/ops"
	"github.com/arsenal-run/arsenal-run/pkg/ops/archive"
	"github.com/arsenal-run/arsenal-run/pkg/ops/cluster"
	"github.com/arsenal-run/arsenal-run/pkg/ops/control"
	"github.com/arsenal-run/arsenal-run/pkg/ops/fileop"
	"github.com/arsenal-run/arsenal-run/pkg/ops/httpreq"
	"github.com/arsenal-run/arsenal-run/pkg/ops/internal/policy"
	"github.com/arsenal-run/arsenal-run/pkg/ops/netcheck"
	"github.com/arsenal-run/arsenal-run/pkg/ops/notify"
	"github.com/arsenal-run/arsenal-run/pkg/ops/proc"
	"github.com/arsenal-run/arsenal-run/pkg/ops/remote"
	"github.com/arsenal-run/arsenal-run/pkg/ops/shell"
	"github.com/arsenal-run/arsenal-run/pkg/ops/sysinfo"
)

// FileRoots is implemented by an authorization scope that limits file
// access: FileRoots() []string returns the directory trees allowed. Without
// it the roots are the working directory and the temp directory.
type FileRoots = policy.FileRoots

// DialPolicy is implemented by an authorization scope that limits network
// access: AllowDial(host string, ip net.IP) error is called for every
// connection, after name resolution.
type DialPolicy = policy.DialPolicy

// SignalPolicy is implemented by an authorization scope that may forbid
// signalling processes arsenal-run did not start: MaySignalOthers() bool.
type SignalPolicy = policy.SignalPolicy

// SandboxPolicy is implemented by an authorization scope that may require
// programs to run sandboxed: SandboxRequirement() *sandbox.Limits returns
// the limits a required sandbox must keep to, or nil.
type SandboxPolicy = policy.SandboxPolicy

// HostPolicy is implemented by an authorization scope that limits the hosts
// ssh.* may act on: AllowHost(name string, groups, tags []string) error.
type HostPolicy = remote.HostPolicy

// Options carries what the built-in ops share with the rest of the program.
type Options struct {
	// Supervisor keeps the processes started by process.start with a
	// supervisor. The caller creates it (proc.NewSupervisor) and closes it
	// after the registry. nil gives the registry a supervisor of its own,
	// closed by Registry.Close.
	Supervisor *proc.Supervisor
	// Shell tunes shell.exec; nil for the defaults. The program must call
	// shell.MaybeRunSandboxHelper first thing in main for sandboxes.
	Shell *shell.Exec
	// HTTP tunes http.request; nil for the defaults.
	HTTP *httpreq.Request
	// Remote configures the ssh.* operations' connection pool: the
	// inventory, known_hosts files, accept-new, the agent. The pool is
	// closed by Registry.Close. A run with settings of its own puts a
	// remote.Pool in its context instead (remote.WithPool).
	Remote remote.Settings
	// OutputMemory is the most bytes the operations may hold at once, all
	// steps and runs together, while they build their outputs
	// (ops.OutputMemory): file.read's content, http.request's body and
	// JSON, the stdout and stderr shell.exec, ssh.exec, ssh.facts and plugins keep, a plugin's answer decoded;
	// 0 for ops.DefaultOutputMemory.
	OutputMemory int64
}

// Register adds every built-in operation to r.
func Register(r *ops.Registry, opt Options) error {
	if opt.OutputMemory > 0 {
		r.OutputMemory().SetLimit(opt.OutputMemory)
	}
	for _, reg := range []func() error{
		func() error { return control.Register(r) },
		func() error { return shell.Register(r, opt.Shell) },
		func() error { return httpreq.Register(r, opt.HTTP) },
		func() error { return fileop.Register(r) },
		func() error { return archive.Register(r) },
		func() error { return proc.Register(r, opt.Supervisor) },
		func() error { return sysinfo.Register(r) },
		func() error { return netcheck.Register(r) },
		func() error { return cluster.Register(r) },
		func() error { return remote.Register(r, opt.Remote) },
		func() error { return notify.Register(r) },
	} {
		if err := reg(); err != nil {
			return err
		}
	}
	return nil
}
