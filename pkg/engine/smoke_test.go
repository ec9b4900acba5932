package engine

import "testing"

func TestSmoke(t *testing.T) {
	e := New(registry(t))
	p := plan(t, e, `
version: 1
name: smoke
inputs:
  threshold: {type: number, default: 1}
vars:
  pattern: "w-[0-9]+"
steps:
  - id: find
    op: control.set
    with: {processes: [{pid: 10, cpu: 5}, {pid: 11, cpu: 0}], pat: "${{ vars.pattern }}"}
  - id: stop
    op: control.log
    foreach: filter(steps.find.output.processes, .cpu > inputs.threshold)
    concurrency: 4
    with: {message: "pid ${{ item.pid }}"}
  - id: check
    op: control.assert
    with: {that: "${{ len(steps.stop.items) == 1 }}"}
finally:
  - {id: summary, op: control.log, with: {message: "done: ${{ run.status }}"}}
outputs:
  stopped: "${{ len(steps.stop.items) }}"
`)
	rep := mustRun(t, p, nil)
	t.Log(dump(rep))
	if rep.Status != "succeeded" {
		t.Fatalf("status %s", rep.Status)
	}
}
