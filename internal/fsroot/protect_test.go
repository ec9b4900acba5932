package fsroot

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/arsenal-run/arsenal-run/pkg/ops"
)

// withProtected runs the test with only the given protected paths and
// the private runtime directory.
func withProtected(t testing.TB, paths ...string) {
	protected.Lock()
	was, wasAdded := protected.paths, protected.added
	wasSorted, wasUnsorted := protected.sorted, protected.unsorted
	protected.paths, protected.added = nil, nil
	protected.sorted, protected.unsorted = nil, nil
	protected.Unlock()
	private := privateProtected.Swap(nil)
	t.Cleanup(func() {
		protected.Lock()
		protected.paths, protected.added = was, wasAdded
		protected.sorted, protected.unsorted = wasSorted, wasUnsorted
		protected.Unlock()
		privateProtected.Store(private)
	})
	for _, p := range paths {
		Protect(p, "plugins dir")
	}
}

// TestAProtectedPathNotMadeYetMovesWithASymlink: a plugins dir that does
// not exist yet is protected as written; a symlink made since on the way
// to it (an archive's link inside ~/.config) makes the next start read it
// somewhere else, so a write there is refused too. Before, Guard compared
// only the forms known when the path was protected, and a role limited to
// its home planted a plugin the next run loaded.
func TestAProtectedPathNotMadeYetMovesWithASymlink(t *testing.T) {
	home := t.TempDir()
	plugins := filepath.Join(home, ".config", "arsenal-run", "plugins")
	withProtected(t, plugins)
	if err := os.MkdirAll(filepath.Join(home, ".config", "elsewhere"), 0o755); err != nil {
		t.Fatal(err)
	}
	planted := filepath.Join(home, ".config", "elsewhere", "plugins", "pwn.yaml")
	if err := Guard(planted); err != nil {
		t.Fatalf("before the link, %s is no plugins dir: %v", planted, err)
	}
	if err := os.Symlink("elsewhere", filepath.Join(home, ".config", "arsenal-run")); err != nil {
		t.Fatal(err)
	}
	for name, check := range map[string]func(string) error{"Guard": Guard, "GuardLexical": GuardLexical, "GuardTree": GuardTree} {
		if err := check(planted); !errors.Is(err, ops.ErrDenied) {
			t.Errorf("%s(%s) = %v, want a denial: the plugins dir is there now", name, planted, err)
		}
	}
	if err := GuardTree(filepath.Join(home, ".config", "elsewhere")); !errors.Is(err, ops.ErrDenied) {
		t.Errorf("GuardTree of the dir the plugins dir now lies in = %v, want a denial", err)
	}
	if err := Guard(filepath.Join(home, ".config", "elsewhere", "notes.txt")); err != nil {
		t.Errorf("a file beside the plugins dir: %v", err)
	}
}

// BenchmarkGuard: what a file operation's check of the protected paths
// costs, with a state dir, a policy and a keys file, and a plugins dir not
// made yet.
func BenchmarkGuard(b *testing.B) {
	dir := b.TempDir()
	var paths []string
	for _, name := range []string{"state", "policy.yaml", "keys.yaml", "plugins"} {
		paths = append(paths, filepath.Join(dir, "etc", name))
	}
	if err := os.MkdirAll(filepath.Join(dir, "etc", "state"), 0o755); err != nil {
		b.Fatal(err)
	}
	for _, name := range []string{"policy.yaml", "keys.yaml"} {
		if err := os.WriteFile(filepath.Join(dir, "etc", name), nil, 0o600); err != nil {
			b.Fatal(err)
		}
	}
	if err := os.MkdirAll(filepath.Join(dir, "data", "app"), 0o755); err != nil {
		b.Fatal(err)
	}
	withProtected(b, paths...)
	target := filepath.Join(dir, "data", "app", "config.yaml")
	for b.Loop() {
		if err := Guard(target); err != nil {
			b.Fatal(err)
		}
	}
}

// TestGuardOpenedFindsWhereTheFileIs: a file opened by a name that led
// into a protected path (a symlink swapped in after the name was
// checked) is refused by where it really is.
func TestGuardOpenedFindsWhereTheFileIs(t *testing.T) {
	if _, err := os.Readlink("/proc/self/fd/0"); err != nil {
		t.Skip("no /proc/self/fd here")
	}
	dir := t.TempDir()
	state := filepath.Join(dir, "state")
	if err := os.MkdirAll(state, 0o700); err != nil {
		t.Fatal(err)
	}
	key := filepath.Join(state, "report.key")
	if err := os.WriteFile(key, []byte("k"), 0o600); err != nil {
		t.Fatal(err)
	}
	withProtected(t, state)
	link := filepath.Join(dir, "pb.yaml")
	if err := os.Symlink(key, link); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(link)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := GuardOpened(f); !errors.Is(err, ops.ErrDenied) {
		t.Errorf("GuardOpened of the state dir's key opened through a link = %v, want a denial", err)
	}
	other := filepath.Join(dir, "other.yaml")
	if err := os.WriteFile(other, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	g, err := os.Open(other)
	if err != nil {
		t.Fatal(err)
	}
	defer g.Close()
	if err := GuardOpened(g); err != nil {
		t.Errorf("GuardOpened of a file elsewhere: %v", err)
	}
}

// TestTheInventoryItselfIsReadableOf: the run's inventory is protected,
// yet cluster.health reads its nodes from it. ReadFileOf reads that very
// file, within the roots as any other; ReadFile still refuses it, and
// ReadFileOf refuses every other protected path.
func TestTheInventoryItselfIsReadableOf(t *testing.T) {
	dir := t.TempDir()
	inv, pol := filepath.Join(dir, "inv.yaml"), filepath.Join(dir, "policy.yaml")
	for _, f := range []string{inv, pol} {
		if err := os.WriteFile(f, []byte("x: 1\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	withProtected(t)
	Protect(inv, Inventory)
	Protect(pol, "policy file")
	roots := []string{dir}
	if b, err := ReadFileOf(inv, roots, 1<<10, Inventory); err != nil || string(b) != "x: 1\n" {
		t.Errorf("ReadFileOf the inventory: %q, %v", b, err)
	}
	if _, err := ReadFile(inv, roots, 1<<10); !errors.Is(err, ops.ErrDenied) {
		t.Errorf("ReadFile of the inventory: %v, want it denied", err)
	}
	if _, err := ReadFileOf(pol, roots, 1<<10, Inventory); !errors.Is(err, ops.ErrDenied) {
		t.Errorf("ReadFileOf the policy file: %v, want it denied", err)
	}
	if _, err := ReadFileOf(inv, []string{t.TempDir()}, 1<<10, Inventory); !errors.Is(err, ops.ErrDenied) {
		t.Errorf("ReadFileOf the inventory outside the roots: %v, want it denied", err)
	}
	// A symlink to it reads the same file; the guard of what it leads to
	// still refuses anything else.
	link := filepath.Join(dir, "link.yaml")
	if err := os.Symlink("inv.yaml", link); err != nil {
		t.Fatal(err)
	}
	if _, err := ReadFileOf(link, roots, 1<<10, Inventory); err != nil {
		t.Errorf("ReadFileOf a link to the inventory: %v", err)
	}
	if err := os.Symlink("policy.yaml", filepath.Join(dir, "pol-link.yaml")); err != nil {
		t.Fatal(err)
	}
	if _, err := ReadFileOf(filepath.Join(dir, "pol-link.yaml"), roots, 1<<10, Inventory); !errors.Is(err, ops.ErrDenied) {
		t.Errorf("ReadFileOf a link to the policy file: %v, want it denied", err)
	}
}

// TestServedPlaybooksAreLoadedNotTouched: the playbooks a daemon serves
// are refused to every file operation (Guard, ReadFile) but loaded by
// arsenal-run itself (Open, through a symlink too, and ReadPlaybook for
// a sub-playbook within its roots); a path protected outright stays
// refused to both.
func TestServedPlaybooksAreLoadedNotTouched(t *testing.T) {
	dir := t.TempDir()
	books := filepath.Join(dir, "playbooks")
	if err := os.Mkdir(books, 0o755); err != nil {
		t.Fatal(err)
	}
	pb := filepath.Join(books, "hello.yaml")
	if err := os.WriteFile(pb, []byte("version: 1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(dir, "link.yaml")
	if err := os.Symlink(pb, link); err != nil {
		t.Fatal(err)
	}
	withProtected(t)
	ProtectPlaybooks(books, "playbooks dir")
	if err := Guard(pb); !errors.Is(err, ops.ErrDenied) {
		t.Errorf("Guard(%s) = %v; want it refused to file operations", pb, err)
	}
	if _, err := ReadFile(link, []string{dir}, 1<<20); !errors.Is(err, ops.ErrDenied) {
		t.Errorf("ReadFile through a symlink = %v; want it refused", err)
	}
	for _, p := range []string{pb, link} {
		f, err := Open(p)
		if err != nil {
			t.Errorf("Open(%s): %v; want the daemon's own load to read it", p, err)
			continue
		}
		f.Close()
	}
	if _, err := ReadPlaybook(pb, []string{dir}, 1<<20); err != nil {
		t.Errorf("ReadPlaybook(%s): %v; want a sub-playbook there loaded", pb, err)
	}
	if _, err := ReadPlaybook(pb, []string{t.TempDir()}, 1<<20); !errors.Is(err, ops.ErrDenied) {
		t.Errorf("ReadPlaybook outside its roots = %v; want it refused", err)
	}
	Protect(books, "state dir")
	if _, err := Open(pb); !errors.Is(err, ops.ErrDenied) {
		t.Errorf("Open of a path also protected outright = %v; want it refused", err)
	}
	if _, err := ReadPlaybook(pb, []string{dir}, 1<<20); !errors.Is(err, ops.ErrDenied) {
		t.Errorf("ReadPlaybook of a path also protected outright = %v; want it refused", err)
	}
}
