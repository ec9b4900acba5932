//go:build unix

package fsx

import "syscall"

// openFlags keep an open from blocking on a FIFO and from taking a
// terminal as the controlling one. On a regular file they change nothing.
const openFlags = syscall.O_NONBLOCK | syscall.O_NOCTTY

// noFollow makes an open of a symbolic link fail instead of following it.
const noFollow = syscall.O_NOFOLLOW
