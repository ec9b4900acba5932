package auth

import (
	"io"
	"os"
)

// auditFile is what the audit log needs of its file: an *os.File.
type auditFile interface {
	io.Writer
	Seek(offset int64, whence int) (int64, error)
	Stat() (os.FileInfo, error)
	Truncate(size int64) error
	Sync() error
	Close() error
}

// writeBatch appends buf, whole lines, to f. A write cut short, by a disk
// filling up, leaves the start of a line without its end, and the next
// line written, the record of a step that did run, would continue it and
// be spoilt with it. So the part written is cut off again when the file
// still ends with it. When it cannot be, torn is set, and the next batch
// starts with a newline: the part stays a line of its own, never joined to
// a record. torn says, before and after, whether f ends in such a part.
//
// Only the writer of the moment calls it (AuditLog.cur), so no other
// line of this process lands between the write and the cut. A line
// another process appends right after the part is joined to it whatever
// is done, and then the file ends with that line's newline.
func writeBatch(f auditFile, buf []byte, torn *bool) error {
	lead := 0
	if *torn {
		buf = append([]byte{'\n'}, buf...)
		lead = 1
	}
	n, err := f.Write(buf)
	switch {
	case err == nil:
		*torn = false
	case n == 0:
		// Nothing written: the file ends as it did.
	default:
		switch cutBack(f, n) {
		case cutDone:
			// The file ends as it did before the write.
		case cutFollowed:
			*torn = false
		case cutFailed:
			*torn = n > lead // the part is more than the newline
		}
	}
	return err
}

// The outcomes of cutBack.
const (
	cutDone     = iota // the part is gone
	cutFollowed        // another process appended after the part
	cutFailed          // the part could not be cut, or told apart
)

// cutBack truncates the n bytes just appended to f, when they still end
// the file. With O_APPEND the file's offset after a write is the end of
// what it wrote.
func cutBack(f auditFile, n int) int {
	end, err := f.Seek(0, io.SeekCurrent)
	if err != nil {
		return cutFailed
	}
	st, err := f.Stat()
	if err != nil {
		return cutFailed
	}
	if st.Size() != end {
		return cutFollowed
	}
	if err := f.Truncate(end - int64(n)); err != nil {
		return cutFailed
	}
	return cutDone
}
