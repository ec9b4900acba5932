package postgres

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/jackc/pgx/v5/pgconn"
)

// TestUnreachableIsNotAFileError: an error of the file system (a report
// file a run's row names that is missing, or a directory) is never the
// database being away, though syscall.Errno is a net.Error; the errors of
// a connection that failed or dropped still are.
func TestUnreachableIsNotAFileError(t *testing.T) {
	dir := t.TempDir()
	_, missing := os.Open(filepath.Join(dir, "reports", "r1.json"))
	_, isDir := os.ReadFile(dir)
	for _, tc := range []struct {
		name string
		err  error
		want bool
	}{
		{"a missing file", missing, false},
		{"a missing file, wrapped", fmt.Errorf("report of r1: %w", missing), false},
		{"ENOENT", &fs.PathError{Op: "open", Path: "/state/reports/r1.json", Err: syscall.ENOENT}, false},
		{"a directory", isDir, false},
		{"EISDIR", &fs.PathError{Op: "read", Path: "/state/reports", Err: syscall.EISDIR}, false},
		{"a rename", &os.LinkError{Op: "rename", Old: "a", New: "b", Err: syscall.EXDEV}, false},
		{"fsync", &os.SyscallError{Syscall: "fsync", Err: syscall.EIO}, false},
		{"a refused dial", &net.OpError{Op: "dial", Net: "tcp", Err: &os.SyscallError{Syscall: "connect", Err: syscall.ECONNREFUSED}}, true},
		{"a reset read", &net.OpError{Op: "read", Net: "tcp", Err: &os.SyscallError{Syscall: "read", Err: syscall.ECONNRESET}}, true},
		{"a missing socket", &net.OpError{Op: "dial", Net: "unix", Err: &os.SyscallError{Syscall: "connect", Err: syscall.ENOENT}}, true},
		{"ECONNREFUSED", syscall.ECONNREFUSED, true},
		{"EOF", fmt.Errorf("receive message: %w", io.EOF), true},
		{"shutting down", &pgconn.PgError{Code: "57P01"}, true},
		{"a refused statement", &pgconn.PgError{Code: "42501"}, false},
		{"nil", nil, false},
	} {
		if got := Unreachable(tc.err); got != tc.want {
			t.Errorf("%s: Unreachable(%v) = %v, want %v", tc.name, tc.err, got, tc.want)
		}
	}
	if !errors.Is(missing, fs.ErrNotExist) {
		t.Fatalf("the missing file: %v", missing)
	}
}
