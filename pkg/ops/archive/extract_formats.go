package archive

// Reading the entries of the two formats archive.extract takes, with the
// caps on entries, bytes and expansion ratio applied as they are read.

import (
	"archive/tar"
	"archive/zip"
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strings"
)

// sniff tells tar.gz from zip by the first bytes.
func sniff(f *os.File) (string, error) {
	var magic [4]byte
	n, _ := f.ReadAt(magic[:], 0)
	switch {
	case n >= 2 && magic[0] == 0x1f && magic[1] == 0x8b:
		return formatTarGz, nil
	case n >= 4 && bytes.Equal(magic[:], []byte("PK\x03\x04")), n >= 4 && bytes.Equal(magic[:], []byte("PK\x05\x06")):
		return formatZip, nil
	}
	return "", errors.New("not a gzip or zip file; archive.extract unpacks tar.gz and zip")
}

// counter counts bytes read from the decompressor and stops an archive
// that expands beyond the byte cap or the ratio.
type counter struct {
	r   io.Reader
	n   int64
	lim limits
}

func (c *counter) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	if c.n > ratioFloor && c.lim.archiveSize > 0 && c.n/c.lim.ratio > c.lim.archiveSize {
		return n, fmt.Errorf("it expands to more than %d times its size of %d bytes (max_ratio %d): a compression bomb?%s", c.lim.ratio, c.lim.archiveSize, c.lim.ratio, raise("max_ratio"))
	}
	// The tar stream holds headers and padding besides the files; allow
	// for them before max_bytes, which is checked on the files exactly.
	if c.n > c.lim.bytes+c.lim.bytes/8+(1<<20) {
		return n, fmt.Errorf("it unpacks to more than max_bytes (%d)%s", c.lim.bytes, raise("max_bytes"))
	}
	return n, err
}

// walkTarGz calls visit for every entry of a tar.gz stream, then reads the
// gzip stream to its end.
func walkTarGz(ctx context.Context, r io.Reader, lim limits, visit func(*entry) error) error {
	zr, err := gzip.NewReader(readerCtx{ctx, r})
	if err != nil {
		return fmt.Errorf("not a gzip stream: %v", err)
	}
	defer zr.Close()
	c := &counter{r: zr, lim: lim}
	tr := tar.NewReader(c)
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return drainGzip(c)
		}
		if err != nil {
			return err
		}
		e := &entry{size: h.Size, link: h.Linkname, mode: fs.FileMode(h.Mode).Perm(), mod: h.ModTime}
		if e.name, err = checkName(h.Name); err != nil {
			return err
		}
		switch h.Typeflag {
		case tar.TypeReg:
			e.kind, e.body = 'f', tr
		case tar.TypeDir:
			e.kind = 'd'
		case tar.TypeSymlink:
			e.kind = 'l'
		case tar.TypeLink:
			return fmt.Errorf("entry %q is a hard link to %q; hard links are not extracted: pack the archive again storing the file itself (GNU tar: --hard-dereference)", h.Name, h.Linkname)
		case tar.TypeXGlobalHeader:
			continue
		default:
			return fmt.Errorf("entry %q is a %s; only files, directories and symlinks are extracted: pack the archive again without it", h.Name, tarType(h.Typeflag))
		}
		if err := visit(e); err != nil {
			return err
		}
	}
}

// drainGzip reads what follows the tar's end-of-archive marker to the end
// of the gzip stream. The tar reader stops at the marker, before the gzip
// trailer, and only at its end does the gzip reader check the CRC and
// length of what it inflated: without this, a damaged archive would unpack
// wrong without a word. Reading through the counter keeps whatever follows
// the marker (padding, more gzip members) under max_bytes and max_ratio.
func drainGzip(c *counter) error {
	_, err := io.Copy(io.Discard, c)
	switch {
	case err == nil:
		return nil
	case errors.Is(err, gzip.ErrChecksum):
		return errors.New("its gzip checksum does not match its data, so the archive is damaged")
	case errors.Is(err, gzip.ErrHeader):
		return fmt.Errorf("the bytes after its gzip stream are not another gzip stream (%v)", err)
	case errors.Is(err, io.ErrUnexpectedEOF):
		return fmt.Errorf("its gzip stream is cut short (%v)", err)
	}
	return err
}

// zipPerm is the permission bits of a zip entry. Only a zip made on Unix
// or macOS records them: the MS-DOS attributes of one made on Windows
// read as 0666 (0444 when read-only), which would leave files every user
// may write, and other makers record none. Such entries, and Unix ones
// whose mode was left out, get 0644, or 0755 for a directory, without
// write bits when the entry is marked read-only.
func zipPerm(zf *zip.File) fs.FileMode {
	perm := zf.Mode().Perm()
	switch zf.CreatorVersion >> 8 {
	case zipCreatorUnix, zipCreatorMacOS:
		if perm != 0 {
			return perm
		}
	}
	def := fs.FileMode(0o644)
	if zf.Mode().IsDir() || strings.HasSuffix(zf.Name, "/") {
		def = 0o755
	}
	if perm != 0 && perm&0o200 == 0 {
		def &^= 0o222
	}
	return def
}

// The makers of a zip entry whose external attributes hold a Unix mode.
const (
	zipCreatorUnix  = 3
	zipCreatorMacOS = 19
)

func tarType(t byte) string {
	switch t {
	case tar.TypeChar:
		return "character device"
	case tar.TypeBlock:
		return "block device"
	case tar.TypeFifo:
		return "named pipe"
	}
	return fmt.Sprintf("tar entry of type %q", t)
}

// walkZip calls visit for every entry of a zip file. The central directory
// is checked against the caps before any entry is read.
func walkZip(ctx context.Context, f *os.File, size int64, lim limits, visit func(*entry) error) error {
	zr, err := zip.NewReader(f, size)
	if err != nil {
		return fmt.Errorf("not a zip file: %v", err)
	}
	if int64(len(zr.File)) > lim.entries {
		return fmt.Errorf("it has %d entries, more than max_entries (%d)%s", len(zr.File), lim.entries, raise("max_entries"))
	}
	var total uint64
	for _, zf := range zr.File {
		total += zf.UncompressedSize64
		if total > uint64(lim.bytes) {
			return fmt.Errorf("its files declare more than max_bytes (%d) unpacked, from entry %q on%s", lim.bytes, zf.Name, raise("max_bytes"))
		}
	}
	if total > ratioFloor && total/uint64(lim.ratio) > uint64(size) {
		return fmt.Errorf("it declares %d unpacked bytes, more than %d times its size of %d bytes (max_ratio %d): a compression bomb?%s", total, lim.ratio, size, lim.ratio, raise("max_ratio"))
	}
	for _, zf := range zr.File {
		if err := ctx.Err(); err != nil {
			return context.Cause(ctx)
		}
		e := &entry{mode: zipPerm(zf), size: int64(zf.UncompressedSize64), mod: zf.Modified}
		if e.name, err = checkName(zf.Name); err != nil {
			return err
		}
		m := zf.Mode()
		switch {
		case m.IsDir() || strings.HasSuffix(zf.Name, "/"):
			e.kind = 'd'
		case m&fs.ModeSymlink != 0:
			e.kind = 'l'
		case m.IsRegular():
			e.kind = 'f'
		default:
			return fmt.Errorf("entry %q is a %s; only files, directories and symlinks are extracted: pack the archive again without it", zf.Name, m.Type())
		}
		if e.kind == 'd' {
			if err := visit(e); err != nil {
				return err
			}
			continue
		}
		rc, err := zf.Open()
		if err != nil {
			return fmt.Errorf("entry %q: %v", zf.Name, err)
		}
		body := io.Reader(&counter{r: readerCtx{ctx, rc}, lim: limits{bytes: lim.bytes, ratio: lim.ratio, archiveSize: int64(zf.CompressedSize64)}})
		if e.kind == 'l' {
			b, err := io.ReadAll(io.LimitReader(body, maxLink+1))
			if err != nil {
				rc.Close()
				return fmt.Errorf("entry %q: %v", zf.Name, err)
			}
			e.link = string(b)
		} else {
			e.body = body
		}
		err = visit(e)
		rc.Close()
		if err != nil {
			return err
		}
	}
	return nil
}
