//go:build unix

package server

import "syscall"

// noFollow makes an open refuse a symlink at the name: the session key
// and the revocation list are the state dir's own files.
const noFollow = syscall.O_NOFOLLOW
