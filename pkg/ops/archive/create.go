package archive

import (
	"archive/tar"
	"archive/zip"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"
	"sync/atomic"
	"syscall"

	"github.com/arsenal-run/arsenal-run/internal/fsroot"
	"github.com/arsenal-run/arsenal-run/pkg/ops"
	"github.com/arsenal-run/arsenal-run/pkg/ops/internal/policy"
)

// Create is the archive.create operation.
type Create struct{}

var (
	_ ops.Op             = (*Create)(nil)
	_ ops.ParamValidator = (*Create)(nil)
)

func createSpec() ops.Spec {
	return ops.Spec{
		Name: "archive.create",
		Description: "Pack a directory (its contents, named relative to it) or one file into a tar.gz or zip archive. " +
			"Symlinks are stored as links, never followed; sockets, pipes and devices are skipped. " +
			"The archive is written to a temporary file and renamed into place; an existing dest is refused unless overwrite is true. " +
			"Both paths must lie inside the allowed roots.",
		Risk: ops.RiskWrite,
		Params: []ops.Param{
			{Name: "src", Type: ops.TypeString, Required: true, MaxLen: 4096, Path: ops.PathInRoots, Description: "the directory or file to pack"},
			{Name: "dest", Type: ops.TypeString, Required: true, MaxLen: 4096, Path: ops.PathInRoots, Description: "the archive to write, like backup.tar.gz or logs.zip"},
			{Name: "format", Type: ops.TypeString, Enum: formats, Description: "tar.gz or zip; default from dest's extension (.tar.gz, .tgz, .zip)"},
			{Name: "overwrite", Type: ops.TypeBool, Default: false, Description: "replace an existing archive at dest"},
			{Name: "create_dirs", Type: ops.TypeBool, Default: false, Description: "create dest's missing parent directories"},
		},
		Output: []ops.Field{
			{Name: "path", Type: "string", Description: "the absolute path of the archive"},
			{Name: "format", Type: "string", Description: "tar.gz or zip"},
			{Name: "entries", Type: "integer", Description: "files, directories and symlinks stored"},
			{Name: "bytes", Type: "integer", Description: "the total size of the files stored"},
			{Name: "size", Type: "integer", Description: "the size of the archive"},
			{Name: "skipped", Type: "list", Description: "sockets, pipes and devices left out"},
		},
	}
}

// ValidateParams checks the paths and that the format is known.
func (*Create) ValidateParams(p ops.Params, _ bool) error {
	errs := checkPaths(p)
	if _, ok := p["format"]; !ok && p.Known("dest") && formatOf(p.String("dest")) == "" {
		errs = append(errs, &ops.ParamError{Param: "format", Msg: fmt.Sprintf("cannot tell the format from %q; name it .tar.gz, .tgz or .zip, or set format: tar.gz or zip", p.String("dest"))})
	}
	if len(errs) > 0 {
		return errs
	}
	return nil
}

var tmpSeq atomic.Uint64

// Execute writes the archive.
func (*Create) Execute(ctx context.Context, p ops.Params) (map[string]any, error) {
	srcPath, destPath := p.String("src"), p.String("dest")
	roots := policy.Roots(ctx)
	format := p.String("format")
	if format == "" {
		format = formatOf(destPath)
	}
	src, err := open(ctx, srcPath)
	if err != nil {
		return nil, err
	}
	defer src.Close()
	dest, err := open(ctx, destPath)
	if err != nil {
		return nil, err
	}
	defer dest.Close()
	sst, err := src.root.Stat(src.rel)
	if err != nil {
		return nil, policy.Classify(ctx, err, srcPath, roots)
	}
	if err := policy.SwappableSource(ctx, nil, src.abs, "the source"); err != nil {
		return nil, err
	}
	if dir := filepath.Dir(dest.rel); p.Bool("create_dirs") && dir != "." {
		if err := dest.root.MkdirAll(dir, 0o755); err != nil {
			return nil, policy.Classify(ctx, err, destPath, roots)
		}
	}
	switch st, err := dest.root.Lstat(dest.rel); {
	case err == nil && !p.Bool("overwrite"):
		return nil, errorf("%s already exists; set overwrite: true to replace it", destPath)
	case err == nil && !st.Mode().IsRegular():
		return nil, errorf("%s exists and is not a regular file; it is never replaced", destPath)
	case err != nil && !errors.Is(err, fs.ErrNotExist):
		return nil, policy.Classify(ctx, err, destPath, roots)
	}

	tmp := filepath.Join(filepath.Dir(dest.rel), fmt.Sprintf(".%s.arsenal-tmp-%d-%d", filepath.Base(dest.rel), os.Getpid(), tmpSeq.Add(1)))
	f, err := dest.root.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, errorf("the directory of %s does not exist%s; create it or set create_dirs: true", destPath, policy.LookedFor(ctx, destPath))
		}
		if full := createNoSpace(err, destPath, dest); full != nil {
			return nil, full
		}
		return nil, policy.Classify(ctx, err, destPath, roots)
	}
	w := &packer{ctx: ctx, src: src, format: format, skip: map[string]bool{}}
	// The archive may be written inside the tree it packs: leave it out.
	if rel, err := filepath.Rel(src.abs, dest.abs); err == nil && !strings.HasPrefix(rel, "..") {
		w.skip[filepath.ToSlash(rel)] = true
		w.skip[filepath.ToSlash(filepath.Join(filepath.Dir(rel), filepath.Base(tmp)))] = true
	}
	err = w.pack(writeTo(f), sst)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = place(dest.root, tmp, dest.rel, p.Bool("overwrite"))
	}
	if err != nil {
		_ = dest.root.Remove(tmp)
		var se *sourceError
		switch {
		case ctx.Err() != nil:
			return nil, context.Cause(ctx)
		case errors.As(err, &se):
			return nil, se.explain(srcPath, destPath)
		case errors.Is(err, fs.ErrExist):
			return nil, errorf("%s already exists; set overwrite: true to replace it", destPath)
		}
		if full := createNoSpace(err, destPath, dest); full != nil {
			return nil, full
		}
		return nil, policy.Classify(ctx, err, destPath, roots)
	}
	size := int64(0)
	if st, err := dest.root.Stat(dest.rel); err == nil {
		size = st.Size()
	}
	skipped := make([]any, len(w.skipped))
	for i, s := range w.skipped {
		skipped[i] = s
	}
	return map[string]any{"path": dest.abs, "format": format, "entries": w.entries, "bytes": w.bytes, "size": size, "skipped": skipped}, nil
}

// place renames tmp to name; without replace, by a hard link that fails if
// name exists, falling back to a rename where links are not supported.
func place(root *os.Root, tmp, name string, replace bool) error {
	if !replace {
		err := root.Link(tmp, name)
		switch {
		case err == nil:
			return root.Remove(tmp)
		case errors.Is(err, fs.ErrExist):
			return err
		}
	}
	return root.Rename(tmp, name)
}

// packer writes one archive.
type packer struct {
	ctx     context.Context
	src     *target
	format  string
	skip    map[string]bool // names (relative to src) not to pack
	entries int
	bytes   int64
	skipped []string
}

// entryWriter is what tar and zip writers have in common here.
type entryWriter interface {
	add(name string, fi fs.FileInfo, link string, body io.Reader) error
	Close() error
}

func (w *packer) pack(out io.Writer, sst fs.FileInfo) error {
	var ew entryWriter
	if w.format == formatZip {
		ew = &zipWriter{zw: zip.NewWriter(out)}
	} else {
		gz := gzip.NewWriter(out)
		ew = &tarWriter{gz: gz, tw: tar.NewWriter(gz)}
	}
	var err error
	if !sst.IsDir() {
		err = w.addOne(ew, w.src.rel, path.Base(filepath.ToSlash(w.src.rel)))
		var se *sourceError
		if errors.As(err, &se) {
			se.name = "" // src itself
		}
	} else {
		base := filepath.ToSlash(w.src.rel)
		skipped := policy.Walked(w.src.abs)
		err = fs.WalkDir(w.src.root.FS(), base, func(name string, d fs.DirEntry, err error) error {
			if err := w.ctx.Err(); err != nil {
				return context.Cause(w.ctx)
			}
			rel := strings.TrimPrefix(strings.TrimPrefix(name, base), "/")
			if base == "." {
				rel = name
			}
			if err != nil {
				return &sourceError{name: rel, err: err}
			}
			if rel == "" || rel == "." {
				return nil
			}
			if w.skip[rel] {
				return nil
			}
			if skipped(filepath.FromSlash(rel)) {
				if d.IsDir() {
					return fs.SkipDir
				}
				return nil
			}
			return w.addOne(ew, filepath.FromSlash(name), rel)
		})
	}
	if cerr := ew.Close(); err == nil {
		err = cerr
	}
	return err
}

// testHookPack, when set, runs as addOne is about to open the file at rel
// (in the root): tests swap the directories on its way there.
var testHookPack func(rel string)

// addOne stores the file at rel (in the root) as name. What cannot be
// read of it is a sourceError.
func (w *packer) addOne(ew entryWriter, rel, name string) error {
	fi, err := w.src.root.Lstat(rel)
	if err != nil {
		return &sourceError{name: name, err: err}
	}
	switch {
	case fi.Mode().IsRegular():
		if testHookPack != nil {
			testHookPack(rel)
		}
		f, err := w.src.root.OpenFile(rel, os.O_RDONLY|syscall.O_NOFOLLOW, 0)
		if err != nil {
			return &sourceError{name: name, err: err}
		}
		defer f.Close()
		// A protected file under another name (a hard link), or one a
		// directory on the way swapped for a symlink led the open to,
		// would be given back by whoever extracts the archive.
		if ofi, err := f.Stat(); err != nil {
			return &sourceError{name: name, err: err}
		} else if err := fsroot.GuardIdentity(filepath.Join(w.src.root.Name(), rel), ofi); err != nil {
			return err
		}
		if err := fsroot.GuardOpened(f); err != nil {
			return err
		}
		// Store the size the header promises, even if the file grows.
		body := sourceReader{name, readerCtx{w.ctx, f}}
		err = ew.add(name, fi, "", io.LimitReader(body, fi.Size()))
		if err != nil {
			return err
		}
		w.bytes += fi.Size()
	case fi.IsDir():
		if err := ew.add(name+"/", fi, "", nil); err != nil {
			return err
		}
	case fi.Mode()&fs.ModeSymlink != 0:
		link, err := w.src.root.Readlink(rel)
		if err != nil {
			return &sourceError{name: name, err: err}
		}
		if err := ew.add(name, fi, link, nil); err != nil {
			return err
		}
	default:
		w.skipped = append(w.skipped, name)
		return nil
	}
	w.entries++
	return nil
}

type tarWriter struct {
	gz *gzip.Writer
	tw *tar.Writer
}

func (t *tarWriter) add(name string, fi fs.FileInfo, link string, body io.Reader) error {
	h, err := tar.FileInfoHeader(fi, link)
	if err != nil {
		return err
	}
	h.Name = name
	if err := t.tw.WriteHeader(h); err != nil {
		return err
	}
	if body != nil {
		n, err := io.Copy(t.tw, body)
		if err != nil {
			return err
		}
		if n != h.Size {
			return &sourceError{name: name, err: fmt.Errorf("it shrank from %d to %d bytes while it was packed", h.Size, n)}
		}
	}
	return nil
}

func (t *tarWriter) Close() error {
	err := t.tw.Close()
	if cerr := t.gz.Close(); err == nil {
		err = cerr
	}
	return err
}

type zipWriter struct{ zw *zip.Writer }

func (z *zipWriter) add(name string, fi fs.FileInfo, link string, body io.Reader) error {
	h, err := zip.FileInfoHeader(fi)
	if err != nil {
		return err
	}
	h.Name = name
	if fi.Mode().IsRegular() {
		h.Method = zip.Deflate
	} else {
		h.Method = zip.Store
	}
	w, err := z.zw.CreateHeader(h)
	if err != nil {
		return err
	}
	switch {
	case link != "":
		_, err = io.WriteString(w, link)
	case body != nil:
		n, cerr := io.Copy(w, body)
		err = cerr
		if err == nil && n != fi.Size() {
			err = &sourceError{name: name, err: fmt.Errorf("it shrank from %d to %d bytes while it was packed", fi.Size(), n)}
		}
	}
	return err
}

func (z *zipWriter) Close() error { return z.zw.Close() }
