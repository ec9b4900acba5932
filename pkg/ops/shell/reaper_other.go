//go:build !linux

package shell

import "syscall"

// reaper does nothing on this system: Pdeathsig and the watchdog need
// Linux, so a step's processes may outlive a killed arsenal-run here.
type reaper struct{}

var theReaper reaper

func (*reaper) watchGroup(int)          {}
func (*reaper) forgetGroup(int)         {}
func (*reaper) watchCgroup(string)      {}
func (*reaper) forgetCgroup(string)     {}
func lockThread() func()                { return func() {} }
func setPdeathsig(*syscall.SysProcAttr) {}
