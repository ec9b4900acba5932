package policy

import (
	"errors"
	"fmt"
	"syscall"

	"github.com/arsenal-run/arsenal-run/internal/shellword"
)

// NoSpace says why a write failed for want of room (a full file system,
// an exhausted quota), or "" when err is something else.
func NoSpace(err error) string {
	switch {
	case errors.Is(err, syscall.ENOSPC):
		return "no space left on the file system"
	case errors.Is(err, syscall.EDQUOT):
		return "the disk quota is exhausted"
	}
	return ""
}

// FreeSpace is the advice after a write that failed for want of room in
// directory dir: where to look (one shell word, pasted whole) and what to
// do then.
func FreeSpace(dir string) string {
	return fmt.Sprintf("free space (df -h %s) and run the step again", shellword.Word(dir))
}
