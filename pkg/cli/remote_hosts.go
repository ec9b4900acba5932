package cli

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/arsenal-run/arsenal-run/internal/fsroot"
	"github.com/arsenal-run/arsenal-run/internal/fsx"
	"github.com/arsenal-run/arsenal-run/pkg/inventory"
	sshops "github.com/arsenal-run/arsenal-run/pkg/ops/remote"
)

// remoteFlags are the flags of the commands that run playbooks (run, and
// schedule and serve once they run them): the inventory that names hosts,
// and the known_hosts files their keys are checked against. A front end
// adds them with addRemoteFlags and passes settings() to
// runs.Config.Remote.
//
// accept-new is a flag rather than a parameter of the ssh.* steps: trusting
// keys on first use is the operator's decision for a run, not something a
// playbook may lower on its own.
type remoteFlags struct {
	inventory  string
	knownHosts multiFlag
	acceptNew  bool
	// invRead is what the inventory held when it was loaded, for a
	// daemon's SIGHUP to say when it changed: it is read only at start.
	invRead string
}

func addRemoteFlags(fs *flagSet) *remoteFlags {
	rf := &remoteFlags{}
	fs.StringVar(&rf.inventory, "inventory", "", "read hosts and groups for ssh.* steps and inventory.hosts() from the inventory `FILE`")
	fs.Var(&rf.knownHosts, "known-hosts", "check host keys against the known_hosts `FILE` instead of ~/.ssh/known_hosts (repeatable; accepted keys go to the first)")
	fs.BoolVar(&rf.acceptNew, "accept-new-host-keys", false, "trust and record the key of a host that no known_hosts file lists (OpenSSH's StrictHostKeyChecking=accept-new); a changed key is still refused")
	return rf
}

// settings loads the inventory and checks the known_hosts files. Problems
// are printed (an inventory's with file:line:column); ok is false then.
func (rf *remoteFlags) settings(e *env) (sshops.Settings, bool) {
	s := sshops.Settings{AcceptNew: rf.acceptNew}
	if e.daemon && !rf.trusted(e) {
		return s, false
	}
	if rf.inventory != "" {
		inv, err := inventory.Load(rf.inventory)
		if err != nil {
			e.problems(err, fmt.Sprintf("the inventory %s has problems; nothing ran", rf.inventory))
			return s, false
		}
		s.Inventory = inv
		rf.invRead = fileDigest(rf.inventory)
	}
	protectSSHFiles(rf.inventory, s.Inventory, rf.knownHosts)
	for _, f := range rf.knownHosts {
		abs, err := filepath.Abs(f)
		if err != nil {
			e.errorf("--known-hosts %s: %v", f, err)
			return s, false
		}
		fi, err := os.Stat(abs)
		switch {
		case errors.Is(err, fs.ErrNotExist) && !rf.acceptNew:
			e.errorf("--known-hosts %s: no such file; create it with the keys you trust (ssh-keyscan -p PORT HOST >> %s, after checking them), or add --accept-new-host-keys to record keys on first use", f, f)
			return s, false
		case err != nil && !errors.Is(err, fs.ErrNotExist):
			e.errorf("--known-hosts %s: %v", f, err)
			return s, false
		case err == nil && !fi.Mode().IsRegular():
			e.errorf("--known-hosts %s: not a regular file", f)
			return s, false
		}
		s.KnownHosts = append(s.KnownHosts, abs)
	}
	return s, true
}

// trusted says, for serve and schedule, whose runs have roles the files'
// authors did not give them, whether the inventory and the known_hosts
// files are safe from another user of the host (fsx.PathAnyoneMayWrite):
// one who could change the inventory would send the runs' commands,
// uploads and secrets to a host of theirs and hand them host vars; one
// who could change a known_hosts file would let a server of theirs pass
// for any host. Each that is not is printed; run, a user's own, does not
// ask.
func (rf *remoteFlags) trusted(e *env) bool {
	ok := true
	if rf.inventory != "" {
		if msg := fsx.PathAnyoneMayWrite(rf.inventory, "the inventory", "send the runs' ssh.* steps, with their commands and secrets, to a host of their own"); msg != "" {
			e.errorf("--inventory %s: %s", rf.inventory, msg)
			ok = false
		}
	}
	for _, f := range rf.knownHosts {
		if msg := fsx.PathAnyoneMayWrite(f, "the known_hosts file", "add a key that lets a server of their own pass for any host"); msg != "" {
			e.errorf("--known-hosts %s: %s", f, msg)
			ok = false
		}
	}
	return ok
}

// protectSSHFiles puts the files ssh.* steps trust out of every file
// operation's reach: the inventory (which says where a host is), the keys
// it names and the default ones (a role that read one would log in past
// its hosts: scope), and the known_hosts files (rewriting one, or the
// inventory, would send the next run's secrets to another server).
func protectSSHFiles(invFile string, inv *inventory.Inventory, knownHosts []string) {
	if invFile != "" {
		fsroot.Protect(invFile, fsroot.Inventory)
	}
	// One batch: the default keys and known_hosts share ~/.ssh, which
	// is then looked up once per run rather than once per file.
	var ps []fsroot.Protection
	key := func(path string) {
		if path != "" {
			ps = append(ps, fsroot.Protection{Path: path, What: "SSH key"},
				fsroot.Protection{Path: path + "-cert.pub", What: "SSH key"})
		}
	}
	if inv != nil {
		key(inv.Defaults.IdentityFile)
		key(inv.Defaults.CertificateFile)
		for _, name := range inv.HostNames() {
			if h, ok := inv.Host(name); ok {
				key(h.IdentityFile)
				key(h.CertificateFile)
			}
		}
	}
	for _, f := range knownHosts {
		ps = append(ps, fsroot.Protection{Path: f, What: "known_hosts file"})
	}
	if home, err := os.UserHomeDir(); err == nil {
		if len(knownHosts) == 0 {
			ps = append(ps, fsroot.Protection{Path: filepath.Join(home, ".ssh", "known_hosts"), What: "known_hosts file"})
		}
		for _, name := range sshops.DefaultIdentities {
			key(filepath.Join(home, ".ssh", name))
		}
	}
	fsroot.ProtectAll(ps)
}

// inventoryChanged says, for a daemon's SIGHUP, that the inventory changed
// since it was loaded at start, which a reload does not read again: the
// runs, the cluster's nodes and the checks of the reloaded playbooks keep
// the hosts and groups loaded then. "" when it did not change.
func (rf *remoteFlags) inventoryChanged() string {
	if rf == nil || rf.inventory == "" || rf.invRead == "" || fileDigest(rf.inventory) == rf.invRead {
		return ""
	}
	return fmt.Sprintf("the inventory %s changed since the start, and the inventory is read only at start: restart to use it; "+
		"until then runs and the checks of the playbooks keep the hosts and groups loaded then", rf.inventory)
}

// fileDigest is the SHA-256 of the file at path in hex, or the error
// that kept it from being read, so that a file that went away differs
// from the one read. It never blocks: a FIFO put in the file's place
// would hold the SIGHUP reload that asks, and SIGTERM behind it.
func fileDigest(path string) string {
	f, err := fsx.Open(path)
	if err != nil {
		return "error: " + err.Error()
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, io.LimitReader(f, inventory.MaxFileSize+1)); err != nil {
		return "error: " + err.Error()
	}
	return hex.EncodeToString(h.Sum(nil))
}
