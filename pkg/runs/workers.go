package runs

import (
	"context"
	"sync"
	"time"

	"github.com/arsenal-run/arsenal-run/pkg/report"
)

// workerIdle is how long a worker waits for another run before it ends:
// longer than the second between the bursts of runs scheduled @every 1s,
// short enough that a quiet process keeps no goroutines for long.
const workerIdle = 5 * time.Second

// workers run the runs' executions on goroutines kept from one run to the
// next. A run's goroutine grows its stack, a few doublings each copied,
// as the engine descends into a step; a worker whose stack grew for one
// run has it for the next, which a goroutine new to every run paid again
// (about a twentieth of a scheduled run's CPU). A run still waits for its
// slot on a goroutine of its own, which stays small: the workers are no
// more than the runs executing at once.
type workers struct {
	svc    *Service
	work   chan execJob
	closed <-chan struct{} // the Manager's: idle workers end at once
	wg     sync.WaitGroup
}

// execJob is one run's execution for a worker; the worker answers on out.
type execJob struct {
	ctx context.Context
	p   *prepared
	h   *Handle
	out chan execResult
}

// execResult is what the run's execution returned.
type execResult struct {
	rep *report.Report
	err error
}

// answers keeps the channels the workers answer on, one a run at a time:
// a run takes one, and gives it back once it has its answer.
var answers = sync.Pool{New: func() any { return make(chan execResult, 1) }}

func newWorkers(svc *Service, closed <-chan struct{}) *workers {
	return &workers{svc: svc, work: make(chan execJob), closed: closed}
}

// execute runs the run h on an idle worker, or on a new one when none is
// idle, and returns once it has ended, with what Service.execute
// returned.
func (w *workers) execute(ctx context.Context, p *prepared, h *Handle) (*report.Report, error) {
	out := answers.Get().(chan execResult)
	job := execJob{ctx: ctx, p: p, h: h, out: out}
	select {
	case w.work <- job:
	default:
		w.wg.Add(1)
		go w.loop(job)
	}
	res := <-out
	answers.Put(out)
	return res.rep, res.err
}

// loop runs job, then the jobs given to it while it is idle, until it has
// been idle for workerIdle or the Manager shuts down.
func (w *workers) loop(job execJob) {
	defer w.wg.Done()
	idle := time.NewTimer(workerIdle)
	defer idle.Stop()
	for {
		rep, err := w.svc.execute(job.ctx, job.p, job.h)
		job.out <- execResult{rep: rep, err: err}
		job = execJob{} // nothing of the run is kept while idle
		idle.Reset(workerIdle)
		select {
		case job = <-w.work:
		case <-idle.C:
			return
		case <-w.closed:
			return
		}
	}
}

// wait returns once every worker has ended; call it after the Manager's
// closed channel is.
func (w *workers) wait() { w.wg.Wait() }
