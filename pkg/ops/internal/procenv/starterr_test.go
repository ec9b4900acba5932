package procenv

import (
	"errors"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
)

// TestStartErrorOfEveryShape: Start's error is a *os.PathError around the
// kernel's errno, or an error of exec.Cmd's own that wraps nothing (an
// environment holding a NUL byte); both read whole, never as "%!w(<nil>)".
func TestStartErrorOfEveryShape(t *testing.T) {
	cmd := exec.Command("/bin/true")
	cmd.Env = []string{"A=x\x00y"}
	own := cmd.Start()
	if own == nil {
		t.Fatal("exec.Cmd started with a NUL byte in its environment")
	}
	for _, tc := range []struct {
		err  error
		want string
	}{
		{own, "starting prog: " + own.Error()},
		{&os.PathError{Op: "fork/exec", Path: "/x/prog", Err: syscall.ENOENT}, "program prog cannot be run: no such file or directory"},
		{&os.PathError{Op: "fork/exec", Path: "/x/prog", Err: syscall.E2BIG}, "starting prog: argument list too long"},
	} {
		got := StartError("prog", tc.err).Error()
		if got != tc.want || strings.Contains(got, "%!") {
			t.Errorf("StartError(%v) = %q, want %q", tc.err, got, tc.want)
		}
	}
	if !errors.Is(StartError("prog", own), own) {
		t.Error("the error of exec.Cmd is not kept")
	}
}
