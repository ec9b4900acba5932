//go:build !linux

package outpipe

import "os"

// pipePending cannot tell here whether bytes wait in the pipe: the pipe is
// closed after the delay, as os/exec does.
func pipePending(*os.File) bool { return false }

// pipeCapacity is how many bytes a pipe may hold at most.
func pipeCapacity(*os.File) int64 { return 1 << 20 }
