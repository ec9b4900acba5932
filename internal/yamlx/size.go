package yamlx

import (
	"os"

	"github.com/arsenal-run/arsenal-run/internal/fsx"
)

// TooLarge is the message for a file of size bytes over lim.MaxFileSize,
// with what to do (lim.SplitHint); a size below zero is not known, only
// that the file is over the limit (it grew while read).
func TooLarge(size int64, lim Limits) string {
	what := "over the limit"
	if size >= 0 {
		what = fsx.Size(size) + ", over the limit"
	}
	return "the file is " + what + " of " + fsx.Bytes(int64(lim.MaxFileSize)) + "; " + lim.SplitHint
}

// Oversize returns the diagnostic for file f, named path, when it is
// larger than lim.MaxFileSize, with its size; nil otherwise. It names the
// file alone: a file too large to read has no line to point at.
func Oversize(f *os.File, path string, lim Limits) error {
	if st, err := f.Stat(); err == nil && st.Size() > int64(lim.MaxFileSize) {
		return Diagnostics{{File: path, Msg: TooLarge(st.Size(), lim)}}
	}
	return nil
}

// addTooLarge records that data is over lim.MaxFileSize. A reader stops
// one byte past the limit, so the size is known only when more was given.
func addTooLarge(data []byte, lim Limits, d *Diags) {
	size := int64(-1)
	if len(data) > lim.MaxFileSize+1 {
		size = int64(len(data))
	}
	d.List = append(d.List, &Diagnostic{File: d.File, Msg: TooLarge(size, lim)})
}
