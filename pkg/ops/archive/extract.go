package archive

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"time"

	"github.com/arsenal-run/arsenal-run/internal/fsroot"
	"github.com/arsenal-run/arsenal-run/pkg/ops"
	"github.com/arsenal-run/arsenal-run/pkg/ops/internal/policy"
)

// Extract is the archive.extract operation.
type Extract struct{}

var (
	_ ops.Op             = (*Extract)(nil)
	_ ops.ParamValidator = (*Extract)(nil)
)

// Default and largest caps of archive.extract.
const (
	DefaultMaxBytes   = 1 << 30
	DefaultMaxEntries = 10_000
	DefaultMaxRatio   = 200
	// ratioFloor is how many bytes an archive may expand to whatever its
	// ratio: small archives of small, repetitive files compress very well.
	ratioFloor = 1 << 20
	maxLink    = 4096
)

func extractSpec() ops.Spec {
	return ops.Spec{
		Name: "archive.extract",
		Description: "Unpack a tar.gz or zip archive into a directory (created if missing). The archive is treated as hostile: " +
			"entries whose names hold .. or are absolute, symlinks that point outside dest (also through the archive's other symlinks) or are absolute, hard links and devices are refused, " +
			"and so is an archive over max_entries, max_bytes (the total unpacked) or max_ratio (unpacked bytes per archive byte, against compression bombs). " +
			"Every entry is checked before anything is written, so a refused archive leaves nothing behind. " +
			"Existing files are not replaced, nor the modes and times of existing directories changed, unless overwrite is true. Permission bits are kept without setuid, setgid and sticky; owners are not.",
		Risk: ops.RiskWrite,
		Params: []ops.Param{
			{Name: "src", Type: ops.TypeString, Required: true, MaxLen: 4096, Path: ops.PathInRoots, Description: "the archive; it must lie inside the allowed roots"},
			{Name: "dest", Type: ops.TypeString, Required: true, MaxLen: 4096, Path: ops.PathInRoots, Description: "the directory to unpack into; it must lie inside the allowed roots"},
			{Name: "format", Type: ops.TypeString, Enum: formats, Description: "tar.gz or zip; default from the file's first bytes"},
			{Name: "overwrite", Type: ops.TypeBool, Default: false, Description: "replace existing files (and symlinks) in dest"},
			{Name: "max_bytes", Type: ops.TypeInteger, Default: DefaultMaxBytes, Min: ops.Bound(1), Max: ops.Bound(1 << 40), Description: "the most bytes the files may unpack to, in total (default 1 GiB)"},
			{Name: "max_entries", Type: ops.TypeInteger, Default: DefaultMaxEntries, Min: ops.Bound(1), Max: ops.Bound(10_000_000), Description: "the most entries (files, directories, symlinks) the archive may hold"},
			{Name: "max_ratio", Type: ops.TypeInteger, Default: DefaultMaxRatio, Min: ops.Bound(1), Max: ops.Bound(1_000_000), Description: "the most unpacked bytes per archive byte, beyond the first MiB"},
		},
		Output: []ops.Field{
			{Name: "dest", Type: "string", Description: "the absolute path of the directory"},
			{Name: "entries", Type: "integer", Description: "entries unpacked"},
			{Name: "files", Type: "integer", Description: "regular files written"},
			{Name: "bytes", Type: "integer", Description: "bytes written"},
		},
	}
}

// ValidateParams checks the paths.
func (*Extract) ValidateParams(p ops.Params, _ bool) error {
	if errs := checkPaths(p); len(errs) > 0 {
		return errs
	}
	return nil
}

// entry is one member of an archive, as both formats describe it.
type entry struct {
	name string // cleaned, slash-separated, relative
	kind byte   // 'f' file, 'd' directory, 'l' symlink
	mode fs.FileMode
	size int64
	link string
	mod  time.Time
	body io.Reader // for files and zip symlinks
}

// limits are the caps of one extraction.
type limits struct {
	bytes, entries, ratio int64
	archiveSize           int64
}

// Execute unpacks the archive: a first pass checks every entry, a second
// one writes them, checking again (the file could change in between).
func (*Extract) Execute(ctx context.Context, p ops.Params) (map[string]any, error) {
	srcPath, destPath := p.String("src"), p.String("dest")
	roots := policy.Roots(ctx)
	src, err := open(ctx, srcPath)
	if err != nil {
		return nil, err
	}
	defer src.Close()
	f, err := src.root.Open(src.rel)
	if err != nil {
		return nil, policy.Classify(ctx, err, srcPath, roots)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, policy.Classify(ctx, err, srcPath, roots)
	}
	if !fi.Mode().IsRegular() {
		return nil, errorf("%s is not a regular file", srcPath)
	}
	if err := policy.SwappableSource(ctx, f, src.abs, "the archive"); err != nil {
		return nil, err
	}
	format := p.String("format")
	if format == "" {
		if format, err = sniff(f); err != nil {
			return nil, errorf("%s: %v", srcPath, err)
		}
	}
	dest, err := open(ctx, destPath)
	if err != nil {
		return nil, err
	}
	defer dest.Close()
	// dest is made only once the archive has passed the checks; until then
	// it may not exist, and then nothing in it can be in the way.
	// dest is opened, and made, judged where it really is (fsroot.OpenDir).
	droot, err := fsroot.OpenDir(dest.root, dest.rel, false, 0)
	switch {
	case errors.Is(err, fs.ErrNotExist):
	case err != nil:
		return nil, policy.Classify(ctx, err, destPath, roots)
	default:
		defer droot.Close()
	}

	lim := limits{bytes: int64(p.Int("max_bytes")), entries: int64(p.Int("max_entries")), ratio: int64(p.Int("max_ratio")), archiveSize: fi.Size()}
	x := &extractor{ctx: ctx, root: droot, dest: dest.abs, overwrite: p.Bool("overwrite"), lim: lim, archive: srcPath, skipped: policy.Landed(dest.abs)}
	var madeDest []string // dest and the parents made for it, deepest first
	for _, dry := range []bool{true, false} {
		x.reset(dry)
		if !dry && x.root == nil {
			madeDest = missing(dest.root, dest.rel)
			if x.root, err = fsroot.OpenDir(dest.root, dest.rel, true, 0o755); err != nil {
				return nil, policy.Classify(ctx, err, destPath, roots)
			}
			defer x.root.Close()
		}
		if _, err := f.Seek(0, io.SeekStart); err != nil {
			return nil, policy.Classify(ctx, err, srcPath, roots)
		}
		if format == formatZip {
			err = walkZip(ctx, f, fi.Size(), lim, x.visit)
		} else {
			err = walkTarGz(ctx, f, lim, x.visit)
		}
		if err == nil && dry {
			err = x.checkLinks()
		}
		if err == nil && !dry {
			err = x.finish()
		}
		if err != nil {
			undone := !dry && len(madeDest) > 0 && x.undo(dest.root, madeDest)
			if ctx.Err() != nil {
				return nil, context.Cause(ctx)
			}
			var ce *ops.Error
			if errors.As(err, &ce) {
				return nil, err
			}
			if full := extractNoSpace(err, srcPath, dest.abs, x.left(destPath, undone)); full != nil {
				return nil, full
			}
			what := "refused; nothing was written"
			switch {
			case undone:
				what = fmt.Sprintf("failed while writing, and %s, which it had made, was removed", destPath)
			case !dry:
				what = fmt.Sprintf("failed after %d of its entries were written", x.entries-1)
			}
			return nil, errorf("archive %s %s: %v", srcPath, what, err)
		}
	}
	return map[string]any{"dest": dest.abs, "entries": x.entries, "files": x.files, "bytes": x.written}, nil
}

// missing lists rel and those of its parents that do not exist in root,
// deepest first: the directories MkdirAll(rel) is about to make.
func missing(root *os.Root, rel string) []string {
	var dirs []string
	for d := rel; d != "." && d != string(filepath.Separator); d = filepath.Dir(d) {
		if _, err := root.Lstat(d); !errors.Is(err, fs.ErrNotExist) {
			break
		}
		dirs = append(dirs, d)
	}
	return dirs
}

// undo removes, after the write pass failed in a destination the
// extraction made, what it wrote there, then the directories in madeDest
// (dest and the parents made for it, deepest first, named in parent), so
// a failure leaves no half-unpacked tree behind; it reports whether dest
// is gone. Only what this extraction created is removed, and directories
// only when empty: whatever another process put there meanwhile stays,
// and so do the directories holding it. Each name is removed in its
// directory as opened and judged (removeIn).
func (x *extractor) undo(parent *os.Root, madeDest []string) bool {
	names := map[string]bool{}
	for _, n := range x.made {
		for ; n != "." && !names[n]; n = filepath.Dir(n) {
			names[n] = true
		}
	}
	sorted := make([]string, 0, len(names))
	for n := range names {
		sorted = append(sorted, n)
	}
	// A name sorts after its parent, so in reverse the contents of a
	// directory go before it.
	sort.Sort(sort.Reverse(sort.StringSlice(sorted)))
	for _, n := range sorted {
		_ = removeIn(x.root, n)
	}
	for _, d := range madeDest {
		if err := removeIn(parent, d); err != nil {
			return false
		}
	}
	return true
}

// removeIn removes name by its base name in its directory, opened in root
// and judged where it really is (fsroot.OpenDir): a directory on the way
// swapped for a symlink to the state dir loses nothing there.
func removeIn(root *os.Root, name string) error {
	d, err := fsroot.OpenDir(root, filepath.Dir(name), false, 0)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Remove(filepath.Base(name))
}

// extractor checks entries (dry) or writes them.
type extractor struct {
	ctx       context.Context
	root      *os.Root // the destination
	dest      string   // its absolute path
	overwrite bool
	lim       limits
	archive   string

	dry     bool
	entries int
	files   int
	total   int64 // bytes the files declare
	written int64 // bytes of the files' bodies read (dry) or written
	seen    map[string]byte
	dirs    map[string]entry
	links   map[string]string // the archive's symlinks, found by the dry pass
	// existed holds the directory entries that dest held before, found
	// by the dry pass: without overwrite, their modes and times stay.
	existed map[string]bool
	// made lists what the write pass created, files, symlinks and
	// directories, for undo; the directories above them were made too.
	made []string
	// skipped tells an entry that would land on a path no file operation
	// touches (the state dir under dest, say).
	skipped func(rel string) bool
}

func (x *extractor) reset(dry bool) {
	x.dry, x.entries, x.files, x.total, x.written = dry, 0, 0, 0, 0
	x.seen, x.dirs, x.made = map[string]byte{}, map[string]entry{}, nil
	if dry {
		x.links, x.existed = map[string]string{}, map[string]bool{}
	}
}

func (x *extractor) visit(e *entry) error {
	if err := x.ctx.Err(); err != nil {
		return context.Cause(x.ctx)
	}
	x.entries++
	if int64(x.entries) > x.lim.entries {
		return fmt.Errorf("it has more than max_entries (%d) entries, from entry %q on%s", x.lim.entries, e.name, raise("max_entries"))
	}
	if e.name == "." {
		if e.kind != 'd' {
			return fmt.Errorf("an entry of type %c names the destination itself", e.kind)
		}
		return nil
	}
	if e.kind == 'l' {
		if err := checkLink(e.name, e.link); err != nil {
			return err
		}
		if x.dry {
			x.links[e.name] = e.link
		}
	}
	if e.kind == 'f' {
		if e.size < 0 {
			return fmt.Errorf("entry %q has a negative size", e.name)
		}
		x.total += e.size
		if x.total > x.lim.bytes {
			return fmt.Errorf("entry %q (%d bytes) brings its files to more than max_bytes (%d)%s", e.name, e.size, x.lim.bytes, raise("max_bytes"))
		}
	}
	// An entry may not sit under a file or symlink the archive made, and
	// only directories may repeat.
	for dir := path.Dir(e.name); dir != "."; dir = path.Dir(dir) {
		if k, ok := x.seen[dir]; ok && k != 'd' {
			return fmt.Errorf("entry %q lies under %q, which the archive made a %s", e.name, dir, kindName(k))
		}
	}
	if k, ok := x.seen[e.name]; ok && (k != 'd' || e.kind != 'd') {
		return fmt.Errorf("entry %q appears twice in the archive", e.name)
	}
	x.seen[e.name] = e.kind
	fsName := filepath.FromSlash(e.name)
	if x.skipped != nil && x.skipped(fsName) {
		return x.denied("entry %q would land on a path of arsenal-run's that no file operation touches (its state dir, policy or keys file)", e.name)
	}
	if e.kind == 'l' && x.skipped != nil && x.skipped(filepath.Join(filepath.Dir(fsName), filepath.FromSlash(e.link))) {
		// A link there would let a later write through it land there.
		return x.denied("symlink %q points to %q, a path of arsenal-run's that no file operation touches (its state dir, policy or keys file)", e.name, e.link)
	}
	if e.kind == 'l' {
		if err := x.checkRealLink(e, fsName); err != nil {
			return err
		}
	}
	if x.dry {
		if err := x.checkExisting(e, fsName); err != nil {
			return err
		}
		if e.kind == 'f' {
			return x.copyBody(io.Discard, e)
		}
		return nil
	}
	return x.write(e, fsName)
}

// copyBody copies a file entry's body to w, never more than its header
// promised nor past max_bytes, and checks it held just that. The dry pass
// copies to nowhere: reading a body to its end is what makes zip check the
// entry's CRC, so damaged data is refused before anything is written.
func (x *extractor) copyBody(w io.Writer, e *entry) error {
	n, err := io.Copy(w, io.LimitReader(e.body, e.size+1))
	x.written += n
	switch {
	case err != nil:
		return &entryErr{e.name, err}
	case n != e.size:
		return fmt.Errorf("entry %q holds %d bytes, not the %d its header says", e.name, n, e.size)
	case x.written > x.lim.bytes:
		return fmt.Errorf("entry %q brings its files to more than max_bytes (%d)%s", e.name, x.lim.bytes, raise("max_bytes"))
	}
	return nil
}

// denied is the refusal of an entry that would reach a protected path,
// checked in both passes: what the second pass had written is said.
func (x *extractor) denied(format string, args ...any) error {
	what := "nothing was written"
	if !x.dry {
		what = fmt.Sprintf("%d of its entries had been written", x.entries-1)
	}
	return ops.WithClass(ops.ClassAuthorization, fmt.Errorf("%w: archive %s: %s; %s", ops.ErrDenied, x.archive, fmt.Sprintf(format, args...), what))
}

// raise is the advice after a cap an archive exceeds.
func raise(param string) string {
	return "; if you trust the archive, raise " + param
}

func kindName(k byte) string {
	switch k {
	case 'f':
		return "file"
	case 'l':
		return "symlink"
	}
	return "directory"
}

// testHookWrite, when set, runs as the write pass is about to write the
// entry at name: tests swap the directories on its way there.
var testHookWrite func(name string)

func (x *extractor) write(e *entry, name string) error {
	if testHookWrite != nil {
		testHookWrite(name)
	}
	// The entry is written by its base name in its directory, made and
	// opened judged where it really is (fsroot.OpenDir): one swapped
	// meanwhile for a symlink to the state dir inside dest gets nothing.
	d, err := fsroot.OpenDir(x.root, filepath.Dir(name), true, 0o755)
	if err != nil {
		return fmt.Errorf("entry %q: %w", e.name, err)
	}
	defer d.Close()
	base := filepath.Base(name)
	switch e.kind {
	case 'd':
		sub, err := fsroot.OpenDir(d, base, true, 0o755)
		if err != nil {
			return fmt.Errorf("entry %q: %w", e.name, err)
		}
		sub.Close()
		x.made = append(x.made, name)
		if !x.existed[name] || x.overwrite {
			x.dirs[name] = *e // modes are set at the end, so a read-only directory can be filled first
		}
		return nil
	case 'l':
		if err := x.clear(d, e, base); err != nil {
			return err
		}
		if err := d.Symlink(e.link, base); err != nil {
			return fmt.Errorf("entry %q: %v", e.name, err)
		}
		x.made = append(x.made, name)
		return nil
	}
	if err := x.clear(d, e, base); err != nil {
		return err
	}
	f, err := d.OpenFile(base, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return &entryErr{e.name, err}
	}
	x.made = append(x.made, name)
	err = x.copyBody(writeTo(f), e)
	if err == nil {
		err = f.Chmod(e.mode)
	}
	if cerr := f.Close(); err == nil && cerr != nil {
		err = &entryErr{e.name, cerr}
	}
	if err != nil {
		_ = d.Remove(base)
		return err
	}
	if !e.mod.IsZero() {
		_ = d.Chtimes(base, e.mod, e.mod)
	}
	x.files++
	return nil
}

// finish sets the directories' modes and times, deepest first.
func (x *extractor) finish() error {
	names := make([]string, 0, len(x.dirs))
	for n := range x.dirs {
		names = append(names, n)
	}
	sort.Sort(sort.Reverse(sort.StringSlice(names)))
	for _, n := range names {
		e := x.dirs[n]
		// The directory as opened and judged, not what its name leads to.
		d, err := fsroot.OpenDir(x.root, n, false, 0)
		if err != nil {
			return fmt.Errorf("entry %q: %w", e.name, err)
		}
		if e.mode != 0 {
			err = d.Chmod(".", e.mode|0o700)
		}
		if err == nil && !e.mod.IsZero() {
			_ = d.Chtimes(".", e.mod, e.mod)
		}
		d.Close()
		if err != nil {
			return fmt.Errorf("entry %q: %v", e.name, err)
		}
	}
	return nil
}
