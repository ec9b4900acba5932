package scheduler

import (
	"context"
	"fmt"

	"github.com/arsenal-run/arsenal-run/pkg/report"
)

// The calls into a Launcher and a Handle are guarded: a panic there is the
// caller's bug, and must not take the scheduler down or wedge a playbook.

func safeLaunch(l Launcher, job Job) (h Handle, err error) {
	defer func() {
		if p := recover(); p != nil {
			h, err = nil, fmt.Errorf("panic in Launch: %v", p)
		}
	}()
	h, err = l.Launch(context.Background(), job)
	if err == nil && h == nil {
		err = fmt.Errorf("Launch returned no run and no error")
	}
	return h, err
}

func safeID(h Handle) (id string) {
	defer func() {
		if recover() != nil {
			id = ""
		}
	}()
	return h.ID()
}

func safeCancel(h Handle, cause error) {
	defer func() { recover() }()
	h.Cancel(cause)
}

// safeDone returns h's Done channel, or a closed one when h has none.
func safeDone(h Handle) (done <-chan struct{}) {
	defer func() {
		if recover() != nil || done == nil {
			c := make(chan struct{})
			close(c)
			done = c
		}
	}()
	return h.Done()
}

func safeStatus(h Handle) (st report.Status) {
	defer func() {
		if recover() != nil {
			st = report.StatusFailed
		}
	}()
	if st = h.Status(); st == "" {
		st = report.StatusFailed
	}
	return st
}
