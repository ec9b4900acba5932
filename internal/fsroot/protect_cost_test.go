package fsroot

import (
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// oldProtected is the registry as add kept it before it cost O(n log n)
// per path: a linear look for duplicates and a sorted copy per path. The
// new add must list the same paths in the same order.
type oldProtected struct {
	paths  []protectedPath
	sorted []string
}

func (o *oldProtected) add(abs, real, what, missing string, loadable bool) {
	for _, form := range []string{abs, real} {
		dup := false
		for _, p := range o.paths {
			dup = dup || (p.path == form && p.loadable == loadable)
		}
		if !dup {
			o.paths = append(o.paths, protectedPath{form, what, missing, loadable})
			sorted := append(slices.Clone(o.sorted), form)
			slices.Sort(sorted)
			o.sorted = sorted
		}
	}
}

// TestAddListsAsBefore: paths added many times over, as given and
// resolved, loadable and not, with reads of the sorted list between
// adds, are listed as the linear add listed them.
func TestAddListsAsBefore(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for round := range 200 {
		withProtected(t)
		var old oldProtected
		n := 1 + r.IntN(60)
		for i := range n {
			abs := fmt.Sprintf("/home/u/.ssh/key%d", r.IntN(n))
			real := abs
			if r.IntN(3) == 0 {
				real = fmt.Sprintf("/srv/keys/key%d", r.IntN(n))
			}
			what, missing := "keys file", ""
			if r.IntN(4) == 0 {
				what, missing = Inventory, abs
			}
			loadable := r.IntN(5) == 0
			old.add(abs, real, what, missing, loadable)
			add(abs, real, what, missing, loadable)
			if r.IntN(7) == 0 || i == n-1 {
				if d := cmp.Diff(old.sorted, sortedPaths()); d != "" {
					t.Fatalf("round %d, add %d: sorted (-old +new):\n%s", round, i, d)
				}
			}
		}
		protected.RLock()
		got := protected.paths
		protected.RUnlock()
		if d := cmp.Diff(old.paths, got, cmp.AllowUnexported(protectedPath{})); d != "" {
			t.Fatalf("round %d: paths (-old +new):\n%s", round, d)
		}
	}
}

// oldResolved is resolved as it was, one EvalSymlinks walk per level up
// from a missing path: the reference the new one must answer as.
func oldResolved(abs string, depth int) string {
	rest := ""
	for p := abs; ; p = filepath.Dir(p) {
		if ev, err := filepath.EvalSymlinks(p); err == nil {
			return filepath.Join(ev, rest)
		}
		if fi, err := lstat(p); err == nil {
			if fi.Mode()&os.ModeSymlink != 0 && depth < 40 {
				if target, err := os.Readlink(p); err == nil {
					if !filepath.IsAbs(target) {
						target = filepath.Join(filepath.Dir(p), target)
					}
					return oldResolved(filepath.Join(target, rest), depth+1)
				}
			}
			return filepath.Join(p, rest)
		}
		if filepath.Dir(p) == p {
			return abs
		}
		rest = filepath.Join(filepath.Base(p), rest)
	}
}

// resolveNames are the names a generated tree and its paths use: dirs,
// files, symlinks and names that are missing.
var resolveNames = []string{"d0", "d1", "d2", "f0", "f1", "l0", "l1", "l2", "l3", "m0", "m1"}

// linkTarget is a symlink's target for a generated tree under root:
// absolute or relative, into dirs, files, missing dirs, through ".."
// after a missing or a plain-file name, or to itself.
func linkTarget(r *rand.Rand, root, dir string) string {
	name := func() string { return resolveNames[r.IntN(len(resolveNames))] }
	switch r.IntN(9) {
	case 0:
		return filepath.Join(root, name(), name())
	case 1:
		return name()
	case 2:
		return "../" + name()
	case 3:
		return name() + "/../" + name()
	case 4:
		return "m0/../../" + name() + "/" + name()
	case 5:
		return "f0/../" + name()
	case 6:
		return root + "/m1/../" + name() + "/.."
	case 7:
		return "../../" + name() + "/m0/" + name()
	}
	return filepath.Base(dir) // a loop, or a name of its parent
}

// makeTree fills dir with the generated tree, depth levels down.
func makeTree(t *testing.T, r *rand.Rand, root, dir string, depth int) {
	for _, name := range resolveNames {
		p := filepath.Join(dir, name)
		var err error
		switch name[0] {
		case 'd':
			if depth > 0 && r.IntN(4) != 0 {
				if err = os.Mkdir(p, 0o755); err == nil {
					makeTree(t, r, root, p, depth-1)
				}
			}
		case 'f':
			err = os.WriteFile(p, nil, 0o600)
		case 'l':
			err = os.Symlink(linkTarget(r, root, dir), p)
		}
		if err != nil {
			t.Fatal(err)
		}
	}
}

// TestResolvedAsBefore: in generated trees of dirs, files, symlinks
// (to dirs and files, dangling, looping, relative with ".." through
// missing dirs and through files, a chain longer than the kernel
// follows) and missing names, every path answers as the walk of one
// EvalSymlinks per level answered.
func TestResolvedAsBefore(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	checked, moved := 0, 0
	for tree := range 10 {
		root := filepath.Join(t.TempDir(), "t")
		if err := os.Mkdir(root, 0o755); err != nil {
			t.Fatal(err)
		}
		makeTree(t, r, root, root, 3)
		// A chain of 45 links to a dir: EvalSymlinks follows it, the
		// kernel (40 at most) does not.
		if err := os.Mkdir(filepath.Join(root, "c0"), 0o755); err != nil {
			t.Fatal(err)
		}
		makeTree(t, r, root, filepath.Join(root, "c0"), 1)
		for i := 1; i <= 45; i++ {
			if err := os.Symlink(fmt.Sprintf("c%d", i-1), filepath.Join(root, fmt.Sprintf("c%d", i))); err != nil {
				t.Fatal(err)
			}
		}
		for range 120 {
			parts := []string{root}
			if r.IntN(5) == 0 {
				parts = append(parts, "c45")
			}
			for range r.IntN(9) {
				parts = append(parts, resolveNames[r.IntN(len(resolveNames))])
			}
			p := filepath.Join(parts...)
			if r.IntN(20) == 0 {
				p = strings.TrimPrefix(p, "/") // relative: from the package dir
			}
			want, got := oldResolved(p, 0), resolved(p, 0)
			if got != want {
				t.Fatalf("tree %d: resolved(%q) = %q, before %q", tree, p, got, want)
			}
			checked++
			if want != p {
				moved++
			}
		}
	}
	t.Logf("%d paths, %d of them moved by a symlink", checked, moved)
}

// keyFiles protects n keys files of an inventory in one dir of its own.
func keyFiles(b *testing.B, n int) []Protection {
	dir := filepath.Join(b.TempDir(), "keys")
	if err := os.Mkdir(dir, 0o700); err != nil {
		b.Fatal(err)
	}
	ps := make([]Protection, n)
	for i := range ps {
		ps[i] = Protection{Path: filepath.Join(dir, fmt.Sprintf("host%05d.key", i)), What: "keys file"}
	}
	return ps
}

// BenchmarkProtect10000KeyFiles: an inventory naming 10,000 keys files
// of its own (missing ones: no file to make), protected and then read
// as the cache key reads them.
func BenchmarkProtect10000KeyFiles(b *testing.B) {
	ps := keyFiles(b, 10000)
	for b.Loop() {
		withProtected(b)
		ProtectAll(ps)
		if len(ProtectedPaths()) < len(ps) {
			b.Fatal("keys files not protected")
		}
	}
}

// BenchmarkResolvedMissing: a path 40 names below its last existing dir.
func BenchmarkResolvedMissing(b *testing.B) {
	p := b.TempDir()
	for i := range 40 {
		p = filepath.Join(p, fmt.Sprintf("missing%d", i))
	}
	for b.Loop() {
		if Resolved(p) == "" {
			b.Fatal("empty")
		}
	}
}
