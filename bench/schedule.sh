#!/bin/sh
# The scheduler under load: PLAYBOOKS (default 1,000) playbooks scheduled
# @every 1s, for SECONDS_TO_RUN seconds (default 60). Run it on a quiet
# machine: other load shows up as fire delay and as CPU the scheduler waits
# for. Three ways, from the whole to the part:
#
#   bench/schedule.sh [daemon]  the real `arsenal-run schedule` process
#       (BenchmarkScheduleDaemon, pkg/cli): runs of three control.noop steps
#       through the run service, with history, reports and a JSON log to a
#       file. Prints the start delay (history started_at minus slot) and
#       launch delay p50/p99/max, the process's CPU as a percentage of one
#       core, and its resident memory in the first and last 10 s after a
#       10 s warm-up. MAX_RUNS sets --max-concurrent-runs (default 10).
#   bench/schedule.sh service   the same runs in-process
#       (BenchmarkSchedule1000 -sched.runs, pkg/scheduler), for profiling
#       with -cpuprofile.
#   bench/schedule.sh core      the scheduler alone (BenchmarkSchedule1000):
#       a launcher whose runs do nothing, on a real history database.
set -eu
cd "$(dirname "$0")/.."
seconds="${SECONDS_TO_RUN:-60}"
playbooks="${PLAYBOOKS:-1000}"
maxruns="${MAX_RUNS:-10}"
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
case "${1:-daemon}" in
daemon)
	go test -run '^$' -bench 'BenchmarkScheduleDaemon$' -benchtime 1x ./pkg/cli/ \
		-args -daemon.seconds "$seconds" -daemon.playbooks "$playbooks" -daemon.max-runs "$maxruns"
	;;
service)
	go test -run '^$' -bench 'BenchmarkSchedule1000$' -benchtime 1x ./pkg/scheduler/ \
		-args -sched.seconds "$seconds" -sched.playbooks "$playbooks" -sched.runs "$maxruns"
	;;
core)
	go test -run '^$' -bench 'BenchmarkSchedule1000$' -benchtime 1x ./pkg/scheduler/ \
		-args -sched.seconds "$seconds" -sched.playbooks "$playbooks"
	;;
*)
	echo "usage: bench/schedule.sh [daemon|service|core]" >&2
	exit 2
	;;
esac
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
